using System.Collections.Concurrent;
using DittoFs.Server.Buffers;

namespace DittoFs.Server.Rpc;

/// <summary>
/// One timer for every connection's deadlines (a half-sent record, replies nobody reads, idleness),
/// as Kestrel's heartbeat does, instead of a timer per connection; it also trims the buffer pool.
/// Ticks at a quarter of the shortest deadline, between 100 ms and 1 s.
/// </summary>
internal sealed class ConnectionWatchdog : IDisposable
{
    private readonly ConcurrentDictionary<RpcConnection, byte> _connections = new();
    private readonly Timer _timer;

    public ConnectionWatchdog(RpcLimits limits)
    {
        long shortest = Math.Min(limits.RecordTimeoutMs, Math.Min(limits.ReplyTimeoutMs, limits.IdleTimeoutMs));
        var period = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 100, 1000));
        _timer = new Timer(_ => Tick(), null, period, period);
    }

    public void Register(RpcConnection connection) => _connections.TryAdd(connection, 0);

    public void Unregister(RpcConnection connection) => _connections.TryRemove(connection, out _);

    private void Tick()
    {
        long now = Environment.TickCount64;
        foreach (RpcConnection connection in _connections.Keys) connection.CheckDeadlines(now);
        BufferPool.Trim();
    }

    public void Dispose() => _timer.Dispose();
}
