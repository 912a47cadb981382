using DittoFs.Server.Options;
using DittoFs.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// All NFSv4.1 state of this server instance, in memory: clients, sessions,
/// open and lock stateids, byte-range locks, leases and the grace period.
/// One lock guards it all (state changes are short and never await).
///
/// After a restart every client is unknown (BADSESSION / STALE_CLIENTID make
/// it EXCHANGE_ID again) and reclaims its opens and locks with CLAIM_PREVIOUS /
/// reclaim locks during the grace period. The owners of confirmed clients are
/// kept in a small file so a server that had no clients skips grace, and grace
/// ends early once every previous client sent RECLAIM_COMPLETE.
/// </summary>
internal sealed class Nfs4State : IDisposable
{
    private readonly object _sync = new();
    private readonly Dictionary<ulong, ClientRecord> _clients = new();
    private readonly Dictionary<SessionId, Session> _sessions = new();
    private readonly Dictionary<ulong, StateObject> _states = new();
    private readonly Dictionary<FileId, List<OpenState>> _opensByFile = new();
    private readonly Dictionary<FileId, List<LockRange>> _locksByFile = new();
    private readonly HashSet<string> _previousOwners;
    private readonly HashSet<string> _persistedOwners = new(StringComparer.Ordinal);
    private readonly string? _ownersFile;
    private readonly ILogger<Nfs4State> _logger;
    private readonly Timer _reaper;
    private uint _nextClient;
    private ulong _nextSession;
    private ulong _nextState;
    private long _graceEnds;

    public Nfs4State(IOptions<DittoFsOptions> options, ILogger<Nfs4State> logger)
    {
        _logger = logger;
        Nfs4Options o = options.Value.Nfs4;
        LeaseSeconds = (uint)o.LeaseSeconds;
        // A boot epoch that differs from the last instance's (seconds since 2020, never 0).
        Boot = (uint)Math.Max(1, (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1_577_836_800));
        try
        {
            string dir = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "nfs4");
            Directory.CreateDirectory(dir);
            _ownersFile = Path.Combine(dir, "clients");
        }
        catch (IOException)
        {
            _ownersFile = null;
        }
        _previousOwners = LoadOwners();
        foreach (string owner in _previousOwners) _persistedOwners.Add(owner);
        // At least a lease: a client notices the restart only when it next renews (knfsd does the same).
        int grace = Math.Max(o.GraceSeconds, o.LeaseSeconds);
        _graceEnds = _previousOwners.Count == 0 || o.GraceSeconds == 0 ? 0 : Environment.TickCount64 + grace * 1000L;
        if (_graceEnds != 0) Nfs4Log.GraceStarted(_logger, grace, _previousOwners.Count);
        _reaper = new Timer(_ => ExpireLeasesSafely(), null, 1000, 1000);
    }

    public uint Boot { get; }

    public uint LeaseSeconds { get; }

    public object Sync => _sync;

    /// <summary>Reclaims are accepted, new opens and locks wait (NFS4ERR_GRACE).</summary>
    public bool InGrace
    {
        get
        {
            long ends = Volatile.Read(ref _graceEnds);
            if (ends == 0) return false;
            if (Environment.TickCount64 < ends) return true;
            lock (_sync) EndGrace();
            return false;
        }
    }

    private void EndGrace()
    {
        if (_graceEnds == 0) return;
        _graceEnds = 0;
        // Owners that never came back lose their claim to grace.
        foreach (string owner in _previousOwners) _persistedOwners.Remove(owner);
        foreach (ClientRecord c in _clients.Values)
        {
            if (c.Confirmed) _persistedOwners.Add(Convert.ToHexString(c.OwnerId));
        }
        _previousOwners.Clear();
        SaveOwners();
        Nfs4Log.GraceEnded(_logger);
    }

    // ---- clients -------------------------------------------------------------------------

    public ClientRecord? FindClient(ulong id) => _clients.GetValueOrDefault(id);

    /// <summary>A new client record (unconfirmed until CREATE_SESSION). Caller holds Sync.</summary>
    public ClientRecord NewClient(byte[] ownerId, ulong verifier)
    {
        var client = new ClientRecord { Id = ((ulong)Boot << 32) | ++_nextClient, OwnerId = ownerId, Verifier = verifier };
        _clients[client.Id] = client;
        return client;
    }

    public IEnumerable<ClientRecord> ClientsWithOwner(ReadOnlySpan<byte> ownerId)
    {
        var list = new List<ClientRecord>();
        foreach (ClientRecord c in _clients.Values)
        {
            if (c.OwnerId.AsSpan().SequenceEqual(ownerId)) list.Add(c);
        }
        return list;
    }

    /// <summary>CREATE_SESSION confirmed the client: older records of the same owner go with their state. Caller holds Sync.</summary>
    public void Confirm(ClientRecord client)
    {
        if (client.Confirmed) return;
        client.Confirmed = true;
        foreach (ClientRecord other in ClientsWithOwner(client.OwnerId))
        {
            if (other != client) RemoveClient(other);
        }
        if (_persistedOwners.Add(Convert.ToHexString(client.OwnerId))) SaveOwners();
    }

    /// <summary>Drops a client with its sessions and state. Caller holds Sync.</summary>
    public void RemoveClient(ClientRecord client)
    {
        _clients.Remove(client.Id);
        foreach (Session s in client.Sessions) _sessions.Remove(s.Id);
        client.Sessions.Clear();
        foreach (StateObject state in client.States.ToArray()) RemoveState(state);
        client.States.Clear();
    }

    /// <summary>DESTROY_CLIENTID: the owner gives up its state for good.</summary>
    public void DestroyClient(ClientRecord client)
    {
        RemoveClient(client);
        bool sameOwnerLeft = false;
        foreach (ClientRecord c in _clients.Values) sameOwnerLeft |= c.OwnerId.AsSpan().SequenceEqual(client.OwnerId);
        if (!sameOwnerLeft && _persistedOwners.Remove(Convert.ToHexString(client.OwnerId))) SaveOwners();
    }

    public void ReclaimCompleted(ClientRecord client)
    {
        client.ReclaimComplete = true;
        if (_graceEnds == 0) return;
        _previousOwners.Remove(Convert.ToHexString(client.OwnerId));
        if (_previousOwners.Count == 0) EndGrace();
    }

    /// <summary>A timer callback that throws ends the process: a failed pass is logged and the next one retries.</summary>
    private void ExpireLeasesSafely()
    {
        try
        {
            ExpireLeases();
        }
        catch (Exception ex)
        {
            Nfs4Log.ReaperFailed(_logger, ex);
        }
    }

    /// <summary>Clients that stopped renewing (no SEQUENCE for a lease period and a half) lose everything.</summary>
    private void ExpireLeases()
    {
        long now = Environment.TickCount64;
        long limit = LeaseSeconds * 1500L;
        lock (_sync)
        {
            if (_graceEnds != 0 && now >= _graceEnds) EndGrace();
            List<ClientRecord>? expired = null;
            foreach (ClientRecord c in _clients.Values)
            {
                if (c.Busy == 0 && now - c.LastRenewed > limit) (expired ??= []).Add(c);
            }
            if (expired is null) return;
            foreach (ClientRecord c in expired)
            {
                Nfs4Log.LeaseExpired(_logger, c.Id);
                DestroyClient(c); // as knfsd: an expired client has nothing to reclaim after a restart
            }
        }
    }

    // ---- sessions ------------------------------------------------------------------------

    public Session NewSession(ClientRecord client, ChannelAttrs fore, ChannelAttrs back, uint callbackProgram)
    {
        var slots = new Slot[fore.MaxRequests];
        for (int i = 0; i < slots.Length; i++) slots[i] = new Slot();
        var session = new Session
        {
            Id = new SessionId(client.Id, ((ulong)Boot << 32) | ++_nextSession),
            Client = client,
            Slots = slots,
            Fore = fore,
            Back = back,
            CallbackProgram = callbackProgram,
        };
        _sessions[session.Id] = session;
        client.Sessions.Add(session);
        return session;
    }

    public Session? FindSession(SessionId id) => _sessions.GetValueOrDefault(id);

    public void RemoveSession(Session session)
    {
        _sessions.Remove(session.Id);
        session.Client.Sessions.Remove(session);
    }

    // ---- stateids ------------------------------------------------------------------------

    public Stateid4 ToStateid(StateObject state) => new(state.Seqid, Boot, state.Id);

    /// <summary>
    /// Finds the state a stateid names. STALE_STATEID for another boot, BAD_STATEID for unknown
    /// ones or another client's, OLD_STATEID for a seqid behind the current one (0 means current).
    /// Caller holds Sync.
    /// </summary>
    public Nfs4Status Find(in Stateid4 stateid, ClientRecord? client, out StateObject? state)
    {
        state = null;
        if (stateid.Boot != Boot) return stateid.Boot < Boot ? Nfs4Status.StaleStateId : Nfs4Status.BadStateId;
        if (!_states.TryGetValue(stateid.Id, out StateObject? found)) return Nfs4Status.BadStateId;
        if (client is not null && found.Client != client) return Nfs4Status.BadStateId;
        if (stateid.Seqid != 0)
        {
            if (stateid.Seqid < found.Seqid) return Nfs4Status.OldStateId;
            if (stateid.Seqid > found.Seqid) return Nfs4Status.BadStateId;
        }
        state = found;
        return Nfs4Status.Ok;
    }

    public OpenState? FindOpen(ClientRecord client, FileId file, ReadOnlySpan<byte> owner)
    {
        if (!_opensByFile.TryGetValue(file, out List<OpenState>? opens)) return null;
        foreach (OpenState o in opens)
        {
            if (o.Client == client && o.Owner.AsSpan().SequenceEqual(owner)) return o;
        }
        return null;
    }

    /// <summary>SHARE_DENIED when another open's deny bits exclude this access or this deny excludes another's access.</summary>
    public bool ShareConflicts(FileId file, OpenState? self, uint access, uint deny)
    {
        if (!_opensByFile.TryGetValue(file, out List<OpenState>? opens)) return false;
        foreach (OpenState o in opens)
        {
            if (o == self) continue;
            if ((o.Deny & access) != 0 || (o.Access & deny) != 0) return true;
        }
        return false;
    }

    public OpenState NewOpen(ClientRecord client, FileId file, byte[] owner, uint access, uint deny)
    {
        var open = new OpenState { Id = ++_nextState, Client = client, File = file, Owner = owner, Access = access, Deny = deny };
        _states[open.Id] = open;
        client.States.Add(open);
        if (!_opensByFile.TryGetValue(file, out List<OpenState>? opens)) _opensByFile[file] = opens = [];
        opens.Add(open);
        return open;
    }

    public LockState GetLockState(OpenState open, byte[] lockOwner)
    {
        foreach (LockState l in open.Locks)
        {
            if (l.LockOwner.AsSpan().SequenceEqual(lockOwner)) return l;
        }
        var state = new LockState { Id = ++_nextState, Client = open.Client, File = open.File, Open = open, LockOwner = lockOwner, Seqid = 0 };
        _states[state.Id] = state;
        open.Client.States.Add(state);
        open.Locks.Add(state);
        return state;
    }

    public bool HoldsLocks(LockState state) =>
        _locksByFile.TryGetValue(state.File, out List<LockRange>? ranges) && ranges.Exists(r => r.Owner == state);

    public void RemoveState(StateObject state)
    {
        _states.Remove(state.Id);
        state.Client.States.Remove(state);
        switch (state)
        {
            case OpenState open:
                foreach (LockState l in open.Locks.ToArray()) RemoveState(l);
                if (_opensByFile.TryGetValue(open.File, out List<OpenState>? opens))
                {
                    opens.Remove(open);
                    if (opens.Count == 0) _opensByFile.Remove(open.File);
                }
                break;
            case LockState lockState:
                lockState.Open.Locks.Remove(lockState);
                if (_locksByFile.TryGetValue(lockState.File, out List<LockRange>? ranges))
                {
                    ranges.RemoveAll(r => r.Owner == lockState);
                    if (ranges.Count == 0) _locksByFile.Remove(lockState.File);
                }
                break;
        }
    }

    // ---- byte-range locks ------------------------------------------------------------------

    /// <summary>The first range of another owner that conflicts with [start, end) of the given kind; null when none.</summary>
    public LockRange? FindConflict(FileId file, ulong clientId, ReadOnlySpan<byte> owner, ulong start, ulong end, bool write)
    {
        if (!_locksByFile.TryGetValue(file, out List<LockRange>? ranges)) return null;
        foreach (LockRange r in ranges)
        {
            if (r.Owner.SameOwner(clientId, owner)) continue;
            if (r.Start >= end || start >= r.End) continue;
            if (write || r.Write) return r;
        }
        return null;
    }

    /// <summary>POSIX semantics: the owner's range [start, end) becomes exactly this kind (or unlocked), splitting what overlaps.</summary>
    public void SetRange(LockState owner, ulong start, ulong end, bool write, bool unlock)
    {
        if (!_locksByFile.TryGetValue(owner.File, out List<LockRange>? ranges))
        {
            if (unlock) return;
            _locksByFile[owner.File] = ranges = [];
        }
        for (int i = ranges.Count - 1; i >= 0; i--)
        {
            LockRange r = ranges[i];
            if (r.Owner != owner || r.Start >= end || start >= r.End) continue;
            ranges.RemoveAt(i);
            if (r.Start < start) ranges.Add(new LockRange { Owner = owner, Start = r.Start, End = start, Write = r.Write });
            if (r.End > end) ranges.Add(new LockRange { Owner = owner, Start = end, End = r.End, Write = r.Write });
        }
        if (!unlock) ranges.Add(new LockRange { Owner = owner, Start = start, End = end, Write = write });
        if (ranges.Count == 0) _locksByFile.Remove(owner.File);
    }

    // ---- persisted owners (for grace) -------------------------------------------------------

    private HashSet<string> LoadOwners()
    {
        var owners = new HashSet<string>(StringComparer.Ordinal);
        if (_ownersFile is null || !File.Exists(_ownersFile)) return owners;
        try
        {
            foreach (string line in File.ReadAllLines(_ownersFile))
            {
                if (line.Length > 0) owners.Add(line.Trim());
            }
        }
        catch (IOException)
        {
        }
        return owners;
    }

    /// <summary>Rewrites the owners file (write, fsync, rename): rare (a client's first CREATE_SESSION).</summary>
    private void SaveOwners()
    {
        if (_ownersFile is null) return;
        try
        {
            string temp = _ownersFile + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream))
            {
                foreach (string owner in _persistedOwners) writer.WriteLine(owner);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, _ownersFile, overwrite: true);
        }
        catch (IOException ex)
        {
            Nfs4Log.OwnersFileFailed(_logger, ex);
        }
    }

    public void Dispose() => _reaper.Dispose();
}
