using System.Net;
using DittoFs.Server.Options;
using DittoFs.Server.Rpc;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nsm;

/// <summary>
/// This server's status monitor (NSM, as knfsd's rpc.statd keeps it in /var/lib/nfs): the state
/// number, odd while up and bumped at every start (<c>nlm/state</c>), and the client hosts that
/// were granted locks (<c>nlm/hosts</c>, a line "name address" each). At start every host of the
/// previous instance is sent SM_NOTIFY with the new state, so its lockd reclaims its locks during
/// grace, which lasts <see cref="Nfs4Options.GraceSeconds"/> (at least a lease) when there were such
/// hosts. The files are rewritten off the calling thread (atomically: temp file and rename).
/// </summary>
internal sealed class StatusMonitor
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _hosts = new(StringComparer.Ordinal);
    private readonly string? _directory;
    private readonly ILogger<StatusMonitor> _logger;
    private readonly NlmOptions _options;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private long _graceEnds;

    public StatusMonitor(IOptions<DittoFsOptions> options, ILogger<StatusMonitor> logger, StorageHost? storage = null)
    {
        _logger = logger;
        _options = options.Value.Nlm;
        try
        {
            _directory = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "nlm");
            Directory.CreateDirectory(_directory);
        }
        catch (IOException)
        {
            _directory = null;
        }
        int previous = ReadState();
        // Odd while up (XNFS §11: even after a crash, odd after the restart): the next odd number.
        State = previous % 2 == 0 ? previous + 1 : previous + 2;
        WriteFile("state", State.ToString(System.Globalization.CultureInfo.InvariantCulture));
        PreviousHosts = ReadHosts();
        foreach ((string name, string address) in PreviousHosts) _hosts[name] = address;
        int grace = Math.Max(options.Value.Nfs4.GraceSeconds, options.Value.Nfs4.LeaseSeconds);
        _graceEnds = PreviousHosts.Count == 0 || options.Value.Nfs4.GraceSeconds == 0 ? 0 : long.MaxValue;
        _ = (storage?.Ready ?? Task.CompletedTask).ContinueWith(_ =>
        {
            if (_graceEnds != 0) Volatile.Write(ref _graceEnds, Environment.TickCount64 + grace * 1000L);
            if (PreviousHosts.Count > 0) _ = NotifyAllAsync();
        }, TaskScheduler.Default);
    }

    /// <summary>This instance's NSM state number (odd).</summary>
    public int State { get; }

    /// <summary>The hosts that held locks when the previous instance stopped: name → address.</summary>
    public IReadOnlyDictionary<string, string> PreviousHosts { get; }

    /// <summary>In the grace period after a restart with lock holders: only reclaims are granted.</summary>
    public bool InGrace
    {
        get
        {
            long ends = Volatile.Read(ref _graceEnds);
            return ends != 0 && Environment.TickCount64 < ends;
        }
    }

    /// <summary>The name of this server in SM_NOTIFY.</summary>
    public string HostName => _options.HostName.Length > 0 ? _options.HostName : Dns.GetHostName();

    /// <summary>Hosts remembered at most, and per client address: each costs a line in nlm/hosts and an SM_NOTIFY after a restart.</summary>
    public const int MaxHosts = 4096, MaxHostsPerAddress = 32;

    /// <summary>
    /// A host is granted a lock: remembered (persisted) so it is notified after a restart. False when a new
    /// host would pass the bounds (a client inventing names): its lock is refused (DENIED_NOLOCKS).
    /// </summary>
    public bool Monitor(string name, IPAddress? address)
    {
        string where = address?.ToString() ?? "";
        lock (_lock)
        {
            if (_hosts.TryGetValue(name, out string? known) && known == where) return true;
            if (known is null && (_hosts.Count >= MaxHosts || _hosts.Values.Count(w => w == where) >= MaxHostsPerAddress)) return false;
            _hosts[name] = where;
        }
        _ = SaveHostsAsync();
        return true;
    }

    /// <summary>The host is gone (FREE_ALL, its statd notified us of its reboot): forgotten.</summary>
    public void Forget(string name)
    {
        lock (_lock)
        {
            if (!_hosts.Remove(name)) return;
        }
        _ = SaveHostsAsync();
    }

    public bool IsKnown(string name)
    {
        lock (_lock) return _hosts.ContainsKey(name);
    }

    /// <summary>The names of the hosts known at this address.</summary>
    public List<string> HostsAt(IPAddress address)
    {
        string where = address.ToString();
        lock (_lock) return [.. _hosts.Where(h => h.Value == where).Select(h => h.Key)];
    }

    /// <summary>SM_NOTIFY (stat_chge: our name, our new state) to each previous host's statd, found through its portmapper.</summary>
    private async Task NotifyAllAsync()
    {
        byte[] args = RpcOutbound.Encode(new SmStatChange { MonName = System.Text.Encoding.UTF8.GetBytes(HostName), State = State });
        await Task.WhenAll(PreviousHosts.Select(async host =>
        {
            if (!IPAddress.TryParse(host.Value, out IPAddress? address)) return;
            TimeSpan timeout = TimeSpan.FromSeconds(5);
            int port = await RpcOutbound.GetPortAsync(address, _options.ClientPortmapPort, RpcPrograms.Nsm, 1, timeout);
            bool sent = port != 0 && await RpcOutbound.CallAsync(new IPEndPoint(address, port), RpcPrograms.Nsm, 1, (uint)NsmProcedure.Notify, args, timeout) is not null;
            NsmLog.Notified(_logger, host.Key, host.Value, State, sent);
        }));
    }

    private int ReadState()
    {
        try
        {
            return _directory is null ? 0 : int.Parse(File.ReadAllText(Path.Combine(_directory, "state")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or OverflowException)
        {
            return 0;
        }
    }

    private Dictionary<string, string> ReadHosts()
    {
        var hosts = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (_directory is null) return hosts;
            foreach (string line in File.ReadAllLines(Path.Combine(_directory, "hosts")))
            {
                string[] parts = line.Split(' ', 2);
                if (parts[0].Length > 0) hosts[parts[0]] = parts.Length > 1 ? parts[1] : "";
            }
        }
        catch (IOException)
        {
        }
        return hosts;
    }

    private async Task SaveHostsAsync()
    {
        await _writer.WaitAsync();
        try
        {
            string text;
            lock (_lock) text = string.Concat(_hosts.Select(h => h.Key + " " + h.Value + "\n"));
            await Task.Run(() => WriteFile("hosts", text));
        }
        finally
        {
            _writer.Release();
        }
    }

    private void WriteFile(string name, string text)
    {
        if (_directory is null) return;
        try
        {
            string path = Path.Combine(_directory, name);
            string temp = path + ".tmp";
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(text));
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException e)
        {
            NsmLog.WriteFailed(_logger, e, name);
        }
    }
}
