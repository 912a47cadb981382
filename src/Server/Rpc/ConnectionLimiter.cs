using System.Net;
using DittoFs.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Rpc;

/// <summary>
/// Counts open RPC connections, in total and per remote address, and refuses one over either
/// limit: a flood from one address cannot take the descriptors and memory every other client
/// needs. A refusal is logged once per address per minute and always counted.
/// </summary>
internal sealed class ConnectionLimiter(int maxConnections, int maxPerAddress, RpcMetrics metrics, ILogger logger)
{
    private static readonly long LogIntervalMs = 60_000;
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Dictionary<IPAddress, long> _lastLogged = [];
    private readonly Lock _lock = new();
    private int _total;

    public enum Refusal { None, Total, PerAddress }

    public int Open { get { lock (_lock) return _total; } }

    /// <summary>Admits a connection from <paramref name="address"/> (null: not IP, counted in the total only); pair with <see cref="Release"/>.</summary>
    public Refusal TryAdmit(IPAddress? address)
    {
        Refusal refusal;
        lock (_lock)
        {
            int here = address is not null && _perAddress.TryGetValue(address, out int n) ? n : 0;
            if (_total >= maxConnections) refusal = Refusal.Total;
            else if (address is not null && here >= maxPerAddress) refusal = Refusal.PerAddress;
            else
            {
                _total++;
                if (address is not null) _perAddress[address] = here + 1;
                return Refusal.None;
            }
            long now = Environment.TickCount64;
            IPAddress key = address ?? IPAddress.None;
            bool log = !_lastLogged.TryGetValue(key, out long last) || now - last >= LogIntervalMs;
            if (log)
            {
                _lastLogged[key] = now;
                if (_lastLogged.Count > 10_000) _lastLogged.Clear(); // many addresses: forget, at worst log again
            }
            metrics.ConnectionRefused(refusal == Refusal.Total ? "total" : "per_address");
            if (!log) return refusal;
        }
        if (refusal == Refusal.Total) RpcLog.ConnectionLimitReached(logger, address?.ToString(), maxConnections);
        else RpcLog.AddressLimitReached(logger, address?.ToString(), maxPerAddress);
        return refusal;
    }

    public void Release(IPAddress? address)
    {
        lock (_lock)
        {
            _total--;
            if (address is null || !_perAddress.TryGetValue(address, out int n)) return;
            if (n <= 1) _perAddress.Remove(address);
            else _perAddress[address] = n - 1;
        }
    }
}
