using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Rpc;

/// <summary>Log events of the RPC layer: one line per connection open/close and per error, never per successful call.</summary>
internal static partial class RpcLog
{
    [LoggerMessage(1, LogLevel.Information, "Connection {ConnectionId} from {Remote} opened on port {Port}")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? remote, int port);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId);

    [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionRejected(ILogger logger, string connectionId, string reason);

    [LoggerMessage(4, LogLevel.Error, "Handler for program {Program} v{Version} procedure {Procedure} failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, uint program, uint version, uint procedure);

    [LoggerMessage(5, LogLevel.Warning, "Connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(6, LogLevel.Warning, "Connection from {Remote} refused: {Limit} connections open (MaxConnections); logged once a minute per address")]
    public static partial void ConnectionLimitReached(ILogger logger, string? remote, int limit);

    [LoggerMessage(7, LogLevel.Warning, "Connection from {Remote} refused: {Limit} connections open from that address (MaxConnectionsPerAddress); logged once a minute per address")]
    public static partial void AddressLimitReached(ILogger logger, string? remote, int limit);
}
