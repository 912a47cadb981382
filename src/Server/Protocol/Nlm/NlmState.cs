using System.Net;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Locks;
using DittoFs.Server.Protocol.Nsm;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nlm;

/// <summary>A blocked LOCK (answered LCK_BLOCKED) waiting for the range to come free, with what NLM_GRANTED repeats to the client.</summary>
internal sealed class BlockedLock
{
    public required NlmOwner Owner { get; init; }
    public required FileId File { get; init; }
    public required ulong Start { get; init; }
    public required ulong End { get; init; }
    public required bool Write { get; init; }
    public required byte[] Cookie { get; init; }
    public required byte[] Fh { get; init; }
    public required ulong Offset { get; init; }
    public required ulong Length { get; init; }
    public required IPAddress? Address { get; init; }

    public bool Matches(NlmOwner owner, FileId file, ulong start, ulong end, bool write) =>
        Owner.Equals(owner) && File == file && Start == start && End == end && Write == write;
}

/// <summary>An NLM share reservation (SHARE: DOS-style deny modes).</summary>
internal sealed record NlmShare(NlmOwner Owner, uint Mode, uint Access);

/// <summary>
/// NLM's own state beside the shared byte-range table: the blocked requests (granted in order when a
/// range comes free, with an NLM_GRANTED callback to the client's lockd, as knfsd's svclock.c does),
/// share reservations, and the hosts NSM monitors. One private lock, never held across I/O.
/// Several servers on one database: locks are granted through it too (NlmState.Shared.cs).
/// </summary>
internal sealed partial class NlmState
{
    private readonly Lock _lock = new();
    private readonly List<BlockedLock> _blocked = [];
    /// <summary>Granted blocked requests whose NLM_GRANTED the client has not answered yet (a GRANTED_RES may).</summary>
    private readonly List<BlockedLock> _awaiting = [];
    private readonly Dictionary<FileId, List<NlmShare>> _shares = new();
    /// <summary>Files the hosts of each client address have locked ranges of (pruned when counted): where their ranges are, for the per-address bound.</summary>
    private readonly Dictionary<string, HashSet<FileId>> _lockedFiles = new();
    /// <summary>_RES results on their way to each client address.</summary>
    private readonly Dictionary<IPAddress, int> _callbacks = new();
    private readonly ILogger<NlmState> _logger;
    private readonly Nfs4.State.Nfs4State? _nfs4;
    private readonly NlmOptions _options;

    public NlmState(ByteRangeLocks ranges, StatusMonitor monitor, IOptions<DittoFsOptions> options, ILogger<NlmState> logger, Nfs4.State.Nfs4State? nfs4 = null,
        SharedLocks? shared = null)
    {
        Ranges = ranges;
        Monitor = monitor;
        _logger = logger;
        _nfs4 = nfs4;
        _options = options.Value.Nlm;
        ranges.Released += GrantWaiting;
        _shared = shared is { Enabled: true } ? shared : null;
        if (_shared is not null) _retry = Task.Run(RetryBlockedLoopAsync);
    }

    public ByteRangeLocks Ranges { get; }

    public StatusMonitor Monitor { get; }

    /// <summary>Grace after a restart, NLM's (previous lock holders) or NFSv4's: only reclaims now (knfsd shares one grace between lockd and nfsd).</summary>
    public bool InGrace => Monitor.InGrace || _nfs4?.InGrace == true;

    /// <summary>Blocked requests waiting now.</summary>
    public int BlockedCount
    {
        get { lock (_lock) return _blocked.Count; }
    }

    /// <summary>Blocked requests queued at most per host; past it a blocking LOCK is answered as a non-blocking one (DENIED).</summary>
    public const int MaxBlockedPerHost = 256;

    /// <summary>
    /// Ranges the hosts of one client address may hold together (so each host too: a host is a caller_name at one
    /// address, and one address may claim <see cref="StatusMonitor.MaxHostsPerAddress"/> names). Counted after the
    /// split a LOCK or UNLOCK makes: one that would pass it is DENIED_NOLOCKS, and a blocked lock waits on.
    /// </summary>
    public const int MaxRangesPerAddress = 1024;

    /// <summary>_MSG results (_RES calls) on their way to one client address at most; more messages are dropped.</summary>
    public const int MaxCallbacksPerHost = 16;

    public static Func<object, bool> IsOwner(NlmOwner owner) => h => owner.Equals(h);

    /// <summary>
    /// LOCK: granted, or the conflicting range (DENIED), or queued (BLOCKED) when <paramref name="blocked"/> is given.
    /// A request already waiting is not queued twice; a granted one leaves the queue.
    /// </summary>
    public Nlm4Status Lock(FileId file, NlmOwner owner, ulong start, ulong end, bool write, IPAddress? address, BlockedLock? blocked, out HeldRange? conflict) =>
        LockLocal(file, owner, start, end, write, address, blocked, probe: false, out conflict);

    /// <summary>
    /// <see cref="Lock"/> on this server's table; with <paramref name="probe"/> nothing is locked: GRANTED only says no
    /// range of this server is in the way (a conflict is answered, and queued, as ever).
    /// </summary>
    private Nlm4Status LockLocal(FileId file, NlmOwner owner, ulong start, ulong end, bool write, IPAddress? address, BlockedLock? blocked, bool probe,
        out HeldRange? conflict)
    {
        conflict = null;
        // A host first: one a client invents past the bounds gets no lock (nothing to notify after a restart).
        if (!Monitor.Monitor(owner.Host, address)) return Nlm4Status.DeniedNoLocks;
        // A v4 client's delegation of the file lets it lock locally without asking: recalled, and the client retries
        // (DENIED_GRACE_PERIOD, which the Linux client waits out and repeats) until it is returned (RFC 8881 §10.4.1).
        // An exclusive lock is a change (every delegation goes), the ticket keeping new ones off until the lock is in place.
        Nfs4.State.ChangeTicket ticket = default;
        if (_nfs4 is not null && (write ? _nfs4.BeginChange(null, file, out ticket) : _nfs4.BeginRead(file)) != Nfs4.Nfs4Status.Ok) return Nlm4Status.DeniedGracePeriod;
        using (ticket)
        lock (_lock)
        {
            if (!Fits(file, owner, start, end, unlock: false)) return Nlm4Status.DeniedNoLocks;
            conflict = probe ? Ranges.Test(file, IsOwner(owner), start, end, write) : Ranges.TryLock(file, owner, IsOwner(owner), start, end, write);
            if (conflict is not null) return EnqueueLocked(blocked);
            if (!probe)
            {
                _blocked.RemoveAll(b => b.Matches(owner, file, start, end, write));
                Locked(owner, file);
            }
        }
        return Nlm4Status.Granted;
    }

    /// <summary>A conflict: a blocking request waits in the queue (once; BLOCKED), unless its host has the most queued already (DENIED). Under _lock.</summary>
    private Nlm4Status EnqueueLocked(BlockedLock? blocked)
    {
        if (blocked is null || _blocked.Count(b => b.Owner.Host == blocked.Owner.Host) >= MaxBlockedPerHost) return Nlm4Status.Denied;
        if (!_blocked.Exists(b => b.Matches(blocked.Owner, blocked.File, blocked.Start, blocked.End, blocked.Write))) _blocked.Add(blocked);
        return Nlm4Status.Blocked;
    }

    /// <summary>Whether the owner's address stays within <see cref="MaxRangesPerAddress"/> once [start, end) is locked or unlocked. Under _lock.</summary>
    private bool Fits(FileId file, NlmOwner owner, ulong start, ulong end, bool unlock)
    {
        int growth = Ranges.Growth(file, owner, start, end, unlock);
        return growth <= 0 || CountRanges(owner.Address) + growth <= MaxRangesPerAddress;
    }

    /// <summary>The owner's address has ranges of the file now. Under _lock.</summary>
    private void Locked(NlmOwner owner, FileId file)
    {
        if (!_lockedFiles.TryGetValue(owner.Address, out HashSet<FileId>? files)) _lockedFiles[owner.Address] = files = [];
        files.Add(file);
    }

    /// <summary>The ranges of the address's hosts now; files where they hold none leave its set. Under _lock.</summary>
    private int CountRanges(string address)
    {
        if (!_lockedFiles.TryGetValue(address, out HashSet<FileId>? files)) return 0;
        Func<object, bool> ofAddress = h => h is NlmOwner o && o.Address == address;
        int n = 0;
        files.RemoveWhere(file =>
        {
            int held = Ranges.CountWhere(file, ofAddress);
            n += held;
            return held == 0;
        });
        if (files.Count == 0) _lockedFiles.Remove(address);
        return n;
    }

    /// <summary>CANCEL: the matching blocked request leaves the queue (GRANTED); DENIED when none waits, e.g. it was granted already (the lock stays).</summary>
    public Nlm4Status Cancel(FileId file, NlmOwner owner, ulong start, ulong end, bool write)
    {
        lock (_lock) return _blocked.RemoveAll(b => b.Matches(owner, file, start, end, write)) > 0 ? Nlm4Status.Granted : Nlm4Status.Denied;
    }

    /// <summary>
    /// UNLOCK: the owner's waiting requests on the range go, then the range (unheld parts are no error). DENIED_NOLOCKS
    /// when it would split one of the owner's ranges in two past the address's bound (as knfsd's ENOLCK): nothing changes.
    /// </summary>
    public Nlm4Status Unlock(FileId file, NlmOwner owner, ulong start, ulong end)
    {
        lock (_lock)
        {
            if (!Fits(file, owner, start, end, unlock: true)) return Nlm4Status.DeniedNoLocks;
            _blocked.RemoveAll(b => b.Owner.Equals(owner) && b.File == file && b.Start < end && start < b.End);
            Ranges.Unlock(file, owner, start, end); // under _lock: no LOCK of the address counts in between
        }
        return Nlm4Status.Granted;
    }

    /// <summary>SHARE: DENIED when another owner's reservation denies what this one asks, or asks what this one denies (knfsd svcshare.c).</summary>
    public Nlm4Status Share(FileId file, NlmOwner owner, uint mode, uint access)
    {
        lock (_lock)
        {
            if (!_shares.TryGetValue(file, out List<NlmShare>? shares)) _shares[file] = shares = [];
            foreach (NlmShare s in shares)
            {
                if (s.Owner.Equals(owner)) continue;
                if ((s.Access & mode) != 0 || (s.Mode & access) != 0) return Nlm4Status.Denied;
            }
            shares.RemoveAll(s => s.Owner.Equals(owner));
            shares.Add(new NlmShare(owner, mode, access));
            return Nlm4Status.Granted;
        }
    }

    public void Unshare(FileId file, NlmOwner owner)
    {
        lock (_lock)
        {
            if (_shares.TryGetValue(file, out List<NlmShare>? shares) && shares.RemoveAll(s => s.Owner.Equals(owner)) > 0 && shares.Count == 0) _shares.Remove(file);
        }
    }

    /// <summary>FREE_ALL, or the host's statd told us it rebooted: every lock, wait and share of the host goes.</summary>
    public void FreeHost(string host, string why)
    {
        lock (_lock)
        {
            _blocked.RemoveAll(b => b.Owner.Host == host);
            _awaiting.RemoveAll(b => b.Owner.Host == host);
            foreach (List<NlmShare> shares in _shares.Values) shares.RemoveAll(s => s.Owner.Host == host);
        }
        Ranges.RemoveWhere(h => h is NlmOwner o && o.Host == host);
        lock (_lock) CountRanges(NlmOwner.AddressOf(host)); // the files where the address holds nothing now leave its set
        Monitor.Forget(host);
        NlmLog.HostFreed(_logger, host, why);
    }

    /// <summary>A range of the file came free: the waiting requests are tried in order; each granted one is told with NLM_GRANTED.</summary>
    private void GrantWaiting(FileId file)
    {
        if (_shared is not null)
        {
            // Across servers each grant asks the database first: on the thread pool, not in this event.
            bool waiting;
            lock (_lock) waiting = _blocked.Exists(b => b.File == file);
            if (waiting) _ = RetryBlockedAsync(file);
            return;
        }
        List<BlockedLock>? granted = null;
        lock (_lock)
        {
            for (int i = 0; i < _blocked.Count; i++)
            {
                BlockedLock b = _blocked[i];
                if (b.File != file) continue;
                if (!Fits(file, b.Owner, b.Start, b.End, unlock: false)) continue; // waits on, until the address holds fewer
                if (Ranges.TryLock(file, b.Owner, IsOwner(b.Owner), b.Start, b.End, b.Write) is not null) continue;
                Locked(b.Owner, file);
                _blocked.RemoveAt(i--);
                _awaiting.Add(b);
                (granted ??= []).Add(b);
            }
        }
        if (granted is not null) TellGranted(granted);
    }

    /// <summary>Granted blocked requests: each client is told with NLM_GRANTED.</summary>
    private void TellGranted(List<BlockedLock> granted)
    {
        foreach (BlockedLock b in granted)
        {
            _ = Monitor.Monitor(b.Owner.Host, b.Address); // known since its LOCK: within the bounds
            _ = SendGrantedAsync(b);
        }
    }

    /// <summary>
    /// NLM_GRANTED (the synchronous procedure, on a new TCP connection to the lockd the client's portmapper names).
    /// A client that answers anything but GRANTED no longer wants the lock: it is released. A client that does not
    /// answer keeps it: its lockd polls with the same LOCK, which is then granted (the owner holds it).
    /// </summary>
    private async Task SendGrantedAsync(BlockedLock b)
    {
        string outcome = "no answer";
        if (b.Address is { } address)
        {
            TimeSpan timeout = TimeSpan.FromSeconds(10);
            int port = await RpcOutbound.GetPortAsync(address, _options.ClientPortmapPort, RpcPrograms.Nlm, 4, timeout);
            if (port != 0)
            {
                byte[] args = RpcOutbound.Encode(new Nlm4TestArgs
                {
                    Cookie = b.Cookie,
                    Exclusive = b.Write,
                    Lock = new Nlm4Lock { CallerName = System.Text.Encoding.UTF8.GetBytes(Monitor.HostName), Fh = b.Fh, Oh = b.Owner.Oh, Svid = b.Owner.Svid, Offset = b.Offset, Length = b.Length },
                });
                byte[]? result = await RpcOutbound.CallAsync(new IPEndPoint(address, port), RpcPrograms.Nlm, 4, (uint)NlmProcedure.Granted, args, timeout);
                if (result is not null)
                {
                    try
                    {
                        var reader = new DittoFs.Xdr.XdrReader(result);
                        Nlm4Status status = Nlm4Res.Decode(ref reader).Status;
                        outcome = status.ToString();
                        if (status != Nlm4Status.Granted) Ranges.Unlock(b.File, b.Owner, b.Start, b.End);
                    }
                    catch (DittoFs.Xdr.XdrException)
                    {
                        outcome = "garbage";
                    }
                }
            }
        }
        if (outcome != "no answer")
        {
            lock (_lock) _awaiting.Remove(b);
        }
        NlmLog.GrantedCallback(_logger, b.Owner.Host, outcome);
    }

    /// <summary>GRANTED_RES (the client's answer to an NLM_GRANTED_MSG): anything but GRANTED releases the lock of that cookie.</summary>
    public void GrantedResult(ReadOnlySpan<byte> cookie, Nlm4Status status)
    {
        BlockedLock? found = null;
        lock (_lock)
        {
            foreach (BlockedLock b in _awaiting)
            {
                if (b.Cookie.AsSpan().SequenceEqual(cookie)) found = b;
            }
            if (found is null) return;
            _awaiting.Remove(found);
        }
        if (status != Nlm4Status.Granted) Ranges.Unlock(found.File, found.Owner, found.Start, found.End);
    }

    /// <summary>A _MSG result may go to this address: false when <see cref="MaxCallbacksPerHost"/> are on their way already.</summary>
    public bool BeginCallback(IPAddress address)
    {
        lock (_lock)
        {
            int n = _callbacks.GetValueOrDefault(address);
            if (n >= MaxCallbacksPerHost) return false;
            _callbacks[address] = n + 1;
            return true;
        }
    }

    /// <summary>The result of a _MSG call, as a call of its _RES procedure to the client's lockd (after <see cref="BeginCallback"/>).</summary>
    public async Task SendResultAsync(IPAddress address, NlmProcedure procedure, byte[] result)
    {
        string outcome = "no answer";
        try
        {
            TimeSpan timeout = TimeSpan.FromSeconds(10);
            int port = await RpcOutbound.GetPortAsync(address, _options.ClientPortmapPort, RpcPrograms.Nlm, 4, timeout);
            if (port != 0 && await RpcOutbound.CallAsync(new IPEndPoint(address, port), RpcPrograms.Nlm, 4, (uint)procedure, result, timeout) is not null)
            {
                outcome = "delivered";
            }
        }
        finally
        {
            lock (_lock)
            {
                int left = _callbacks[address] - 1;
                if (left > 0) _callbacks[address] = left;
                else _callbacks.Remove(address);
            }
        }
        NlmLog.ResultCallback(_logger, procedure.ToString(), address.ToString(), outcome);
    }
}
