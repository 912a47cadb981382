namespace DittoFs.Server.Protocol.Nsm;

internal static partial class NsmLog
{
    [LoggerMessage(6101, LogLevel.Information, "NSM: SM_NOTIFY to {Host} ({Address}), state {State}: {Sent}")]
    public static partial void Notified(ILogger logger, string host, string address, int state, bool sent);

    [LoggerMessage(6102, LogLevel.Warning, "NSM: cannot write nlm/{Name}")]
    public static partial void WriteFailed(ILogger logger, Exception exception, string name);

    [LoggerMessage(6103, LogLevel.Information, "NSM: host {Host} rebooted (state {State}): its locks are released")]
    public static partial void HostRebooted(ILogger logger, string host, int state);
}
