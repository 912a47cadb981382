namespace DittoFs.Server.Protocol.Locks;

internal static partial class SharedLocksLog
{
    [LoggerMessage(7001, LogLevel.Warning, "Shared locks: the database did not answer the heartbeat ({Message}); grants answer DELAY (NLM: DENIED_NOLOCKS) until it does")]
    public static partial void HeartbeatFailed(ILogger logger, string message);

    [LoggerMessage(7002, LogLevel.Warning, "Shared locks: this server's lease had lapsed; its locks and share reservations are written again")]
    public static partial void LeaseLapsed(ILogger logger);

    [LoggerMessage(7003, LogLevel.Information, "Shared locks: server {ServerId} holds a {Seconds} s lease in the database")]
    public static partial void LeaseTaken(ILogger logger, Guid serverId, int seconds);
}
