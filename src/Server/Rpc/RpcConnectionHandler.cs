using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Rpc;

/// <summary>
/// Kestrel entry point for ONC RPC over TCP: one <see cref="RpcConnection"/> per socket, admitted
/// by the <see cref="ConnectionLimiter"/> (over a limit: closed at once, the others go on) and
/// watched by the <see cref="ConnectionWatchdog"/>.
/// </summary>
internal sealed class RpcConnectionHandler(Dispatcher dispatcher, RpcLimits limits, ConnectionLimiter limiter, ConnectionWatchdog watchdog, ILogger<RpcConnectionHandler> logger)
    : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        IPAddress? address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        if (limiter.TryAdmit(address) != ConnectionLimiter.Refusal.None) return; // Kestrel closes it
        var rpc = new RpcConnection(connection, dispatcher, limits, logger);
        RpcLog.ConnectionOpened(logger, connection.ConnectionId, connection.RemoteEndPoint?.ToString(), rpc.LocalPort);
        dispatcher.Metrics.ConnectionOpened();
        watchdog.Register(rpc);
        try
        {
            await rpc.RunAsync();
        }
        finally
        {
            watchdog.Unregister(rpc);
            limiter.Release(address);
            dispatcher.Metrics.ConnectionClosed();
            RpcLog.ConnectionClosed(logger, connection.ConnectionId);
        }
    }
}
