using System.Security.Cryptography;
using DittoFs.Server.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// All NFSv4.1 state of this server instance, in memory: clients, sessions,
/// open and lock stateids, byte-range locks, leases and the grace period.
///
/// Handlers call whole transitions (EXCHANGE_ID, CREATE_SESSION, OPEN, LOCK, …);
/// one private lock guards them, each is short, never awaits and never does I/O
/// (buildbarn's NFSv4 server: enter()/leave() around a private mutex). Lookups
/// are by hash. The owners file is written by <see cref="OwnersFile"/> in the
/// background.
///
/// Ids cannot be guessed: client ids, session ids and the 8 id bytes of a
/// stateid's "other" come from a CSPRNG; the other 4 are a random per-boot tag,
/// so a stateid of an earlier instance is told apart (STALE_STATEID). A client
/// record belongs to the principal of its EXCHANGE_ID (RFC 8881 §2.10.8.3).
///
/// A client past its lease that holds opens or locks is kept as a courtesy client
/// until another client's request conflicts with its state (knfsd's courteous
/// server): then it is expired whole, and the request goes on.
///
/// After a restart every client is unknown (BADSESSION / STALE_CLIENTID make
/// it EXCHANGE_ID again) and reclaims its opens and locks with CLAIM_PREVIOUS /
/// reclaim locks during the grace period. The owners of confirmed clients are
/// kept in a small file so a server that had no clients skips grace, and grace
/// ends early once every previous client sent RECLAIM_COMPLETE.
/// </summary>
internal sealed partial class Nfs4State : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, ClientRecord> _clients = new();
    private readonly Dictionary<string, List<ClientRecord>> _byOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<SessionId, Session> _sessions = new();
    private readonly HashSet<string> _previousOwners;
    private readonly HashSet<string> _persistedOwners = new(StringComparer.Ordinal);
    private readonly OwnersFile _ownersFile;
    private readonly ILogger<Nfs4State> _logger;
    private readonly StorageHost? _storage;
    private readonly Nfs4Options _options;
    private readonly Timer _reaper;
    private long _cacheReserved;
    private long _graceEnds;

    private readonly Metrics.DelegationMetrics? _metrics;

    /// <summary>Byte-range locks, shared with NLM (NFSv3).</summary>
    private readonly Locks.ByteRangeLocks _ranges;
    private readonly Nsm.StatusMonitor? _lockMonitor;

    public Nfs4State(IOptions<DittoFsOptions> options, ILogger<Nfs4State> logger, StorageHost? storage = null, Metrics.DelegationMetrics? metrics = null,
        Locks.ByteRangeLocks? locks = null, Locks.SharedLocks? shared = null, Nsm.StatusMonitor? lockMonitor = null)
    {
        _ranges = locks ?? new Locks.ByteRangeLocks();
        // Several servers: locks and share reservations are also granted through the database (Nfs4State.Shared.cs).
        _shared = shared is { Enabled: true } ? shared : null;
        _shared?.UseShares(SharesOf);
        _lockMonitor = lockMonitor;
        _storage = storage;
        _logger = logger;
        _metrics = metrics;
        metrics?.ObserveHeld(() => DelegationsHeld);
        _options = options.Value.Nfs4;
        // Several servers on one database: another server's client may change the file without a recall
        // reaching this one's holders (delegations are per server), so none is granted.
        GrantsDelegations = _options.Delegations && !options.Value.MetadataStore.Equals("Postgres", StringComparison.OrdinalIgnoreCase);
        LeaseSeconds = (uint)_options.LeaseSeconds;
        // Neither 0 nor all ones: those are the special stateids' "other" bytes.
        uint boot;
        do boot = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue); while (boot is 0 or uint.MaxValue);
        Boot = boot;
        string? path;
        try
        {
            string dir = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "nfs4");
            Directory.CreateDirectory(dir);
            path = Path.Combine(dir, "clients");
        }
        catch (IOException)
        {
            path = null;
        }
        _previousOwners = OwnersFile.Load(path);
        foreach (string owner in _previousOwners) _persistedOwners.Add(owner);
        _ownersFile = new OwnersFile(path, logger, SnapshotOwners);
        // At least a lease: a client notices the restart only when it next renews (knfsd does the same).
        int grace = Math.Max(_options.GraceSeconds, _options.LeaseSeconds);
        _graceEnds = _previousOwners.Count == 0 || _options.GraceSeconds == 0 ? 0 : GraceAwaitsStorage;
        // The clock starts when storage has recovered: before, no client can even connect to reclaim.
        if (_graceEnds != 0) _ = (storage?.Ready ?? Task.CompletedTask).ContinueWith(_ => StartGraceClock(grace), TaskScheduler.Default);
        _reaper = new Timer(_ => ExpireLeasesSafely(), null, 1000, 1000);
    }

    /// <summary>This instance's random tag in every stateid (never 0 or all ones).</summary>
    public uint Boot { get; }

    public uint LeaseSeconds { get; }

    /// <summary>_graceEnds while storage still recovers: in grace, with the clock not running yet.</summary>
    private const long GraceAwaitsStorage = long.MaxValue;

    private void StartGraceClock(int seconds)
    {
        int owners;
        lock (_lock)
        {
            if (_graceEnds != GraceAwaitsStorage) return; // ended already (every client reclaimed)
            Volatile.Write(ref _graceEnds, Environment.TickCount64 + seconds * 1000L);
            owners = _previousOwners.Count;
        }
        Nfs4Log.GraceStarted(_logger, seconds, owners);
    }

    /// <summary>Reclaims are accepted, new opens and locks wait (NFS4ERR_GRACE).</summary>
    public bool InGrace
    {
        get
        {
            long ends = Volatile.Read(ref _graceEnds);
            if (ends == 0) return false;
            if (Environment.TickCount64 < ends) return true;
            lock (_lock) EndGrace();
            return false;
        }
    }

    /// <summary>
    /// New locks wait (NFS4ERR_GRACE) in NFSv4's grace and in NLM's: one grace for both protocols, as knfsd's, so no
    /// v4 lock takes a range an NFSv3 client is about to reclaim through NLM after the restart.
    /// </summary>
    public bool InLockGrace => InGrace || _lockMonitor?.InGrace == true;

    /// <summary>May this client still reclaim (CLAIM_PREVIOUS, reclaim locks)? NO_GRACE when not.</summary>
    public bool MayReclaim(ClientRecord client)
    {
        if (!InGrace) return false;
        lock (_lock) return !client.ReclaimComplete;
    }

    private void EndGrace()
    {
        if (_graceEnds == 0) return;
        Volatile.Write(ref _graceEnds, 0);
        // Owners that never came back lose their claim to grace.
        foreach (string owner in _previousOwners) _persistedOwners.Remove(owner);
        foreach (ClientRecord c in _clients.Values)
        {
            if (c.Confirmed) _persistedOwners.Add(c.OwnerKey);
        }
        _previousOwners.Clear();
        _ = _ownersFile.Changed();
        Nfs4Log.GraceEnded(_logger);
    }

    private string[] SnapshotOwners()
    {
        lock (_lock) return [.. _persistedOwners];
    }

    // ---- ids -----------------------------------------------------------------------------

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private ulong NewClientId()
    {
        ulong id;
        do id = RandomId(); while (id == 0 || _clients.ContainsKey(id));
        return id;
    }

    private SessionId NewSessionId()
    {
        SessionId id;
        do id = new SessionId(RandomId(), RandomId()); while (_sessions.ContainsKey(id));
        return id;
    }

    // ---- clients (RFC 8881 §18.35, §18.50) ------------------------------------------------

    /// <summary>
    /// §18.35.5 for SP4_NONE, case by case as knfsd numbers them: (1) a new owner gets an unconfirmed
    /// record; (2) the same verifier and principal keep the confirmed record; (3) another principal gets
    /// CLID_INUSE while the confirmed record has sessions or state and is not a courtesy client (knfsd's
    /// client_has_state), else a new record that replaces it once confirmed; (5) a new verifier (the client
    /// rebooted) gets a new unconfirmed record, the confirmed one goes when it is confirmed; an earlier
    /// unconfirmed record of the owner is always replaced. With UPD_CONFIRMED_REC_A: (7) NOENT without a
    /// confirmed record, (9) PERM for another principal, (8) NOT_SAME for another verifier, (6) else the
    /// confirmed record. A new record beyond <see cref="Nfs4Options.MaxClients"/> takes the place of the
    /// longest silent courtesy client, else it is DELAY (RFC 8881 lists no RESOURCE for EXCHANGE_ID; knfsd
    /// answers its allocation failures with DELAY too, and leases free room).
    /// </summary>
    public Nfs4Status ExchangeId(byte[] ownerId, string ownerKey, ulong verifier, bool update, Principal principal, out ExchangeIdResult result)
    {
        result = default;
        lock (_lock)
        {
            ClientRecord? confirmed = null;
            List<ClientRecord>? records = _byOwner.GetValueOrDefault(ownerKey);
            if (records is not null)
            {
                foreach (ClientRecord existing in records)
                {
                    if (existing.Confirmed) confirmed = existing;
                }
            }
            ClientRecord client;
            if (update)
            {
                if (confirmed is null) return Nfs4Status.NoEnt;
                if (confirmed.Principal != principal) return Nfs4Status.Perm;
                if (confirmed.Verifier != verifier) return Nfs4Status.NotSame;
                client = confirmed;
            }
            else if (confirmed is not null && confirmed.Principal != principal && !confirmed.Courtesy
                && (confirmed.Sessions.Count > 0 || confirmed.States.Count > 0))
            {
                return Nfs4Status.ClidInUse;
            }
            else if (confirmed is not null && confirmed.Verifier == verifier && confirmed.Principal == principal)
            {
                client = confirmed;
            }
            else
            {
                if (records is not null)
                {
                    foreach (ClientRecord old in records.ToArray())
                    {
                        if (!old.Confirmed) RemoveClient(old);
                    }
                }
                if (_clients.Count >= _options.MaxClients && !DropOldestCourtesyClient()) return Nfs4Status.Delay;
                client = new ClientRecord { Id = NewClientId(), OwnerId = ownerId, OwnerKey = ownerKey, Verifier = verifier, Principal = principal };
                _clients[client.Id] = client;
                if (!_byOwner.TryGetValue(ownerKey, out records)) _byOwner[ownerKey] = records = [];
                records.Add(client);
            }
            client.LastRenewed = Environment.TickCount64;
            result = new ExchangeIdResult(client.Id, client.CreateSessionSeq + 1, client.Confirmed);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>DESTROY_CLIENTID: only by its principal, only without sessions; the owner gives up its state for good.</summary>
    public Nfs4Status DestroyClient(ulong clientId, Principal principal)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(clientId, out ClientRecord? client)) return Nfs4Status.StaleClientId;
            if (client.Principal != principal) return Nfs4Status.WrongCred;
            if (client.Sessions.Count > 0) return Nfs4Status.ClientIdBusy;
            DestroyClientLocked(client);
            return Nfs4Status.Ok;
        }
    }

    private void DestroyClientLocked(ClientRecord client)
    {
        RemoveClient(client);
        if (!_byOwner.ContainsKey(client.OwnerKey) && _persistedOwners.Remove(client.OwnerKey)) _ = _ownersFile.Changed();
    }

    /// <summary>Drops a client with its sessions and state.</summary>
    private void RemoveClient(ClientRecord client)
    {
        _clients.Remove(client.Id);
        if (_byOwner.TryGetValue(client.OwnerKey, out List<ClientRecord>? records))
        {
            records.Remove(client);
            if (records.Count == 0) _byOwner.Remove(client.OwnerKey);
        }
        foreach (Session s in client.Sessions) ForgetSession(s);
        client.Sessions.Clear();
        foreach (StateObject state in client.States.ToArray()) RemoveState(state);
        client.States.Clear();
        if (client.V40 is not null) ForgetOwners(client);
    }

    /// <summary>RECLAIM_COMPLETE for the whole server: COMPLETE_ALREADY the second time.</summary>
    public Nfs4Status ReclaimComplete(ClientRecord client)
    {
        lock (_lock)
        {
            if (client.ReclaimComplete) return Nfs4Status.CompleteAlready;
            client.ReclaimComplete = true;
            if (_graceEnds == 0) return Nfs4Status.Ok;
            _previousOwners.Remove(client.OwnerKey);
            if (_previousOwners.Count == 0) EndGrace();
            return Nfs4Status.Ok;
        }
    }

    // ---- leases --------------------------------------------------------------------------

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

    /// <summary>
    /// One pass over the clients, all under the lock (the owners file is rewritten once, later, by its
    /// writer). An unconfirmed record goes after a lease. A confirmed client that stopped renewing (no
    /// SEQUENCE for a lease period and a half) becomes a courtesy client if it holds opens or locks: it
    /// keeps them until another client's request conflicts (<see cref="ExpireOnConflict"/>), for at most
    /// a day, and at most <see cref="Nfs4Options.MaxCourtesyClients"/> of them (the longest silent go
    /// first). One without state, or beyond those bounds, loses everything.
    /// </summary>
    private void ExpireLeases()
    {
        long now = Environment.TickCount64;
        long lease = LeaseSeconds * 1000L;
        long limit = LeaseSeconds * 1500L;
        List<ulong>? expired = null;
        List<ulong>? courtesy = null;
        lock (_lock)
        {
            if (_graceEnds != 0 && now >= _graceEnds) EndGrace();
            RevokeUnreturned(now);
            List<ClientRecord>? kept = null;
            foreach (ClientRecord c in _clients.Values)
            {
                if (c.Busy != 0) continue;
                long silent = now - c.LastRenewed;
                if (!c.Confirmed ? silent > lease : silent > limit && (c.States.Count == 0 || silent > CourtesyLimitMs))
                {
                    (expired ??= []).Add(c.Id);
                }
                else if (c.Confirmed && silent > limit)
                {
                    (kept ??= []).Add(c);
                }
            }
            if (kept is not null)
            {
                // The longest silent beyond the cap lose their state now.
                kept.Sort((x, y) => x.LastRenewed.CompareTo(y.LastRenewed));
                int excess = kept.Count - _options.MaxCourtesyClients;
                for (int i = 0; i < kept.Count; i++)
                {
                    ClientRecord c = kept[i];
                    if (i < excess) (expired ??= []).Add(c.Id);
                    else if (!c.Courtesy)
                    {
                        c.Courtesy = true;
                        (courtesy ??= []).Add(c.Id);
                    }
                }
            }
            // As knfsd: an expired client has nothing to reclaim after a restart.
            if (expired is not null)
            {
                foreach (ulong id in expired) DestroyClientLocked(_clients[id]);
            }
        }
        if (courtesy is not null) foreach (ulong id in courtesy) Nfs4Log.CourtesyClient(_logger, id);
        if (expired is not null) foreach (ulong id in expired) Nfs4Log.LeaseExpired(_logger, id);
    }

    /// <summary>How long a courtesy client keeps its state at most (knfsd: NFSD_COURTESY_CLIENT_TIMEOUT, a day).</summary>
    private const long CourtesyLimitMs = 24 * 3600 * 1000L;

    /// <summary>A request of the client renews its lease; a courtesy client is an ordinary one again.</summary>
    private static void Renew(ClientRecord client)
    {
        client.LastRenewed = Environment.TickCount64;
        client.Courtesy = false;
    }

    /// <summary>
    /// Another client's request conflicts with state of a courtesy client: that client is expired, whole,
    /// as knfsd does (not only the conflicting open or lock), and the request goes on. False when
    /// <paramref name="holder"/> is not a courtesy client (the conflict stands).
    /// </summary>
    private bool ExpireOnConflict(ClientRecord holder, ClientRecord requester)
    {
        if (!holder.Courtesy || holder == requester) return false;
        DestroyClientLocked(holder);
        Nfs4Log.CourtesyConflict(_logger, holder.Id);
        return true;
    }

    /// <summary>Makes room for a new client record: the longest silent courtesy client goes. False when there is none.</summary>
    private bool DropOldestCourtesyClient()
    {
        ClientRecord? oldest = null;
        foreach (ClientRecord c in _clients.Values)
        {
            if (c.Courtesy && (oldest is null || c.LastRenewed < oldest.LastRenewed)) oldest = c;
        }
        if (oldest is null) return false;
        DestroyClientLocked(oldest);
        Nfs4Log.LeaseExpired(_logger, oldest.Id);
        return true;
    }

    // ---- sessions (RFC 8881 §18.36, §18.37, §18.46) ----------------------------------------

    /// <summary>
    /// CREATE_SESSION: only by the client's principal (else CLID_INUSE); a retry of the last
    /// sequenceid gets the cached result. Over <see cref="Nfs4Options.MaxSessionsPerClient"/>
    /// it is NOSPC (cached like any result, the client moves on to the next sequenceid); the
    /// slots are cut to what the server-wide reply cache budget has room for, DELAY with no
    /// room for one. <paramref name="persisted"/> completes once a newly confirmed owner is in
    /// the owners file (the reply waits for it, so a restart right after still grants grace).
    /// </summary>
    public Nfs4Status CreateSession(in CreateSessionRequest request, Principal principal, Func<SessionId, ChannelAttrs, byte[]> encode,
        out byte[]? reply, out Task persisted)
    {
        reply = null;
        persisted = Task.CompletedTask;
        lock (_lock)
        {
            if (!_clients.TryGetValue(request.ClientId, out ClientRecord? client)) return Nfs4Status.StaleClientId;
            // An unconfirmed record lives one lease (§18.35.4), whether or not the reaper got to it yet.
            if (!client.Confirmed && Environment.TickCount64 - client.LastRenewed > LeaseSeconds * 1000L)
            {
                RemoveClient(client);
                return Nfs4Status.StaleClientId;
            }
            if (client.Principal != principal) return Nfs4Status.ClidInUse;
            if (request.Sequence == client.CreateSessionSeq && (client.CreateSessionReply is not null || client.CreateSessionStatus != Nfs4Status.Ok))
            {
                reply = client.CreateSessionReply;
                return client.CreateSessionStatus;
            }
            if (request.Sequence != client.CreateSessionSeq + 1) return Nfs4Status.SeqMisordered;
            ChannelAttrs fore = request.Fore;
            if (fore.MaxRequests == 0 || fore.MaxOperations == 0) return Nfs4Status.Inval;
            Nfs4Status status = Nfs4Status.Ok;
            long reserve = 0;
            if (client.Sessions.Count >= _options.MaxSessionsPerClient)
            {
                status = Nfs4Status.NoSpc;
            }
            else
            {
                uint cached = Math.Min(fore.MaxResponseSizeCached, (uint)_options.MaxCachedReplySize);
                uint slots = Math.Clamp(fore.MaxRequests, 1, (uint)_options.MaxSlotsPerSession);
                // One session takes at most an eighth of what is left (but one slot if that is all there is),
                // so a client cannot take the whole budget (knfsd scales its share down the same way).
                long left = _options.MaxCachedReplyBytes - _cacheReserved;
                long room = left < cached ? left : Math.Max(cached, left / 8);
                if (cached > 0 && (long)slots * cached > room) slots = (uint)Math.Max(0, room / cached);
                // No room for even one slot: another client's sessions may go soon (knfsd: jukebox). Not cached, not consumed.
                if (slots == 0) return Nfs4Status.Delay;
                fore = fore with { MaxResponseSizeCached = cached, MaxRequests = slots };
                reserve = (long)slots * cached;
            }
            client.CreateSessionSeq = request.Sequence;
            client.CreateSessionStatus = status;
            client.CreateSessionReply = null;
            if (status != Nfs4Status.Ok) return status;

            var slotArray = new Slot[fore.MaxRequests];
            for (int i = 0; i < slotArray.Length; i++) slotArray[i] = new Slot();
            var session = new Session
            {
                Id = NewSessionId(),
                Client = client,
                Slots = slotArray,
                Fore = fore,
                Back = request.Back,
                CallbackProgram = request.CallbackProgram,
                Reserved = reserve,
            };
            _sessions[session.Id] = session;
            client.Sessions.Add(session);
            _cacheReserved += reserve;
            persisted = Confirm(client);
            client.LastRenewed = Environment.TickCount64;
            reply = client.CreateSessionReply = encode(session.Id, fore);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>The first CREATE_SESSION confirms the client: older records of the same owner go with their state.</summary>
    private Task Confirm(ClientRecord client)
    {
        if (client.Confirmed) return Task.CompletedTask;
        client.Confirmed = true;
        if (_byOwner.TryGetValue(client.OwnerKey, out List<ClientRecord>? records))
        {
            foreach (ClientRecord other in records.ToArray())
            {
                if (other != client) RemoveClient(other);
            }
        }
        return _persistedOwners.Add(client.OwnerKey) ? _ownersFile.Changed() : Task.CompletedTask;
    }

    /// <summary>DESTROY_SESSION: only by the principal of the session's client (else WRONG_CRED).</summary>
    public Nfs4Status DestroySession(SessionId id, Principal principal)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out Session? session)) return Nfs4Status.BadSession;
            if (session.Client.Principal != principal) return Nfs4Status.WrongCred;
            ForgetSession(session);
            session.Client.Sessions.Remove(session);
            return Nfs4Status.Ok;
        }
    }

    private void ForgetSession(Session session)
    {
        _sessions.Remove(session.Id);
        _cacheReserved -= session.Reserved;
        session.Reserved = 0;
    }

    /// <summary>
    /// BIND_CONN_TO_SESSION: the session exists and the caller is its client's principal (WRONG_CRED else,
    /// as DESTROY_SESSION: §2.10.8.3 binds the client's state to its principal); the lease is renewed.
    /// </summary>
    public Nfs4Status BindConnection(SessionId id, Principal principal)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out Session? session)) return Nfs4Status.BadSession;
            if (session.Client.Principal != principal) return Nfs4Status.WrongCred;
            Renew(session.Client);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>
    /// SEQUENCE (§2.10.6.1): the slot's seqid decides: +1 is a new request (the slot is then
    /// the caller's until <see cref="EndSequence"/>), equal is a retry (<paramref name="replay"/>:
    /// answer with the slot's cached reply), anything else is misordered.
    /// </summary>
    public Nfs4Status BeginSequence(SessionId id, uint seqid, uint slotId, int opCount, int requestLength, out Session? session, out Slot? slot, out bool replay)
    {
        slot = null;
        replay = false;
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out session)) return Nfs4Status.BadSession;
            // §2.10.6.4: the whole call (RPC header included, record mark not) against ca_maxrequestsize, before the slot moves (as knfsd).
            if ((uint)requestLength > session.Fore.MaxRequestSize) return Nfs4Status.ReqTooBig;
            if (slotId >= session.Slots.Length) return Nfs4Status.BadSlot;
            Slot s = session.Slots[slotId];
            if (seqid == s.Seqid)
            {
                if (s.InUse) return Nfs4Status.Delay;
                if (s.CacheLength < 0) return Nfs4Status.RetryUncachedRep;
                // Held while the cached reply is copied out, so a next request on the slot cannot overwrite it meanwhile.
                s.InUse = true;
                slot = s;
                replay = true;
                return Nfs4Status.Ok;
            }
            if (seqid != unchecked(s.Seqid + 1)) return Nfs4Status.SeqMisordered;
            if ((uint)opCount > session.Fore.MaxOperations) return Nfs4Status.TooManyOps;
            s.Seqid = seqid;
            s.InUse = true;
            s.CacheLength = -1;
            Renew(session.Client);
            session.Client.Busy++;
            slot = s;
            return Nfs4Status.Ok;
        }
    }

    /// <summary>
    /// The compound is done: its reply is kept for a retry when it fits the negotiated
    /// ca_maxresponsesize_cached (a retry of a bigger one gets RETRY_UNCACHED_REP), and the
    /// slot is free again. The slot is the caller's until then, so the copy is made before
    /// taking the lock.
    /// </summary>
    public void EndSequence(Session session, Slot slot, ReadOnlySpan<byte> reply, bool cache)
    {
        slot.CacheLength = -1;
        if (cache && reply.Length <= session.Fore.MaxResponseSizeCached)
        {
            if (slot.Cache.Length < reply.Length) slot.Cache = new byte[Math.Min(Math.Max(reply.Length, 512), (int)session.Fore.MaxResponseSizeCached)];
            reply.CopyTo(slot.Cache);
            slot.CacheLength = reply.Length;
        }
        lock (_lock)
        {
            slot.InUse = false;
            session.Client.Busy--;
            session.Client.LastRenewed = Environment.TickCount64;
        }
    }

    /// <summary>A retry was answered from the slot's cache: the slot is free again, its cache kept.</summary>
    public void EndReplay(Slot slot)
    {
        lock (_lock) slot.InUse = false;
    }

    public void Dispose()
    {
        _reaper.Dispose();
        _ownersFile.Dispose();
    }
}

internal readonly record struct ExchangeIdResult(ulong ClientId, uint Sequence, bool Confirmed);

internal readonly record struct CreateSessionRequest(ulong ClientId, uint Sequence, ChannelAttrs Fore, ChannelAttrs Back, uint CallbackProgram);
