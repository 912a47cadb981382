using DittoFs.Server.Options;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Rpc;

/// <summary>Kestrel entry point for ONC RPC over TCP: one <see cref="RpcConnection"/> per socket.</summary>
internal sealed class RpcConnectionHandler(Dispatcher dispatcher, RpcLimits limits, IOptions<DittoFsOptions> options, ILogger<RpcConnectionHandler> logger)
    : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        DittoFsOptions o = options.Value;
        var rpc = new RpcConnection(connection, dispatcher, limits, o.MaxRecordSize, o.MaxConcurrentCallsPerConnection, logger);
        RpcLog.ConnectionOpened(logger, connection.ConnectionId, connection.RemoteEndPoint?.ToString(), rpc.LocalPort);
        dispatcher.Metrics.ConnectionOpened();
        try
        {
            await rpc.RunAsync();
        }
        finally
        {
            dispatcher.Metrics.ConnectionClosed();
            RpcLog.ConnectionClosed(logger, connection.ConnectionId);
        }
    }
}
