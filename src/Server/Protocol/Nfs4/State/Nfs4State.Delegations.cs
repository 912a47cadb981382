using DittoFs.Server.Protocol.Nfs4.Callbacks;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>What OPEN answers about delegation (open_delegation4): a read or write delegation's stateid, or none with why.</summary>
internal readonly record struct OpenDelegation(uint Type, Stateid4 Stateid, uint Why)
{
    public static OpenDelegation None => new(Nfs4Const.OpenDelegateNone, default, 0);

    public static OpenDelegation NoneExt(uint why) => new(Nfs4Const.OpenDelegateNoneExt, default, why);
}

// Back channels and delegations (RFC 8881 §2.10.3.1, §10.2, §10.4). Transitions run under the lock; callbacks go
// after it, on their own tasks, each with a deadline: a slow or dead back channel never holds a fore-channel request
// (only CB_GETATTR is awaited by the GETATTR that asked it, within the callback deadline, then it recalls).
internal sealed partial class Nfs4State
{
    private readonly Dictionary<FileId, List<DelegationState>> _delegationsByFile = new();
    private readonly List<DelegationState> _recalled = [];
    private readonly Dictionary<FileId, int> _changing = new();
    private int _delegationsHeld;

    /// <summary>Nfs4:Delegations, and no other server shares the metadata (MetadataStore=Postgres: none granted).</summary>
    public bool GrantsDelegations { get; }

    /// <summary>Delegations held now (not revoked), for the metrics gauge.</summary>
    public int DelegationsHeld => Volatile.Read(ref _delegationsHeld);

    /// <summary>How long a callback may take before the back channel counts as down: half a lease, 1-10 s.</summary>
    private TimeSpan CallbackTimeout => TimeSpan.FromMilliseconds(Math.Clamp(LeaseSeconds * 500L, 1000, 10_000));

    /// <summary>
    /// The session's back channel now runs on <paramref name="connection"/> (CREATE_SESSION with CONN_BACK_CHAN,
    /// BIND_CONN_TO_SESSION for the back channel) with this security; a CB_NULL probe decides whether it is up.
    /// Without a connection (CREATE_SESSION without CONN_BACK_CHAN) only the security is kept, for a later bind.
    /// </summary>
    public void BindBackChannel(SessionId id, IRpcConnection? connection, CallbackSecurity? security, bool keepSecurity)
    {
        Session? session;
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out session)) return;
            if (!keepSecurity) session.CallbackSecurity = security;
            if (connection is null) return;
            session.BackConnection = connection;
            session.BackState = BackChannelState.Probing;
        }
        _ = ProbeAsync(session);
    }

    /// <summary>BACKCHANNEL_CTL: a new program and security for the session's callbacks; probed again.</summary>
    public void SetCallback(Session session, uint program, CallbackSecurity? security)
    {
        bool probe;
        lock (_lock)
        {
            session.CallbackProgram = program;
            session.CallbackSecurity = security;
            probe = session.BackConnection is not null;
            if (probe) session.BackState = BackChannelState.Probing;
        }
        if (probe) _ = ProbeAsync(session);
    }

    private async Task ProbeAsync(Session session)
    {
        bool up;
        try
        {
            up = await CallbackClient.ProbeAsync(session, CallbackTimeout);
        }
        catch (Exception ex)
        {
            Nfs4Log.CallbackFailed(_logger, ex, session.Client.Id);
            up = false;
        }
        List<DelegationState>? undelivered = null;
        lock (_lock)
        {
            if (session.BackState == BackChannelState.Probing) session.BackState = up ? BackChannelState.Up : BackChannelState.Down;
            if (up)
            {
                // Recalls that found no working back channel (or got no answer) go again now that one answers.
                foreach (StateObject s in session.Client.States)
                {
                    if (s is DelegationState { RecallSent: not 0, RecallDelivered: false, Revoked: false } d) (undelivered ??= []).Add(d);
                }
            }
        }
        Nfs4Log.BackChannelProbed(_logger, session.Client.Id, up);
        if (undelivered is not null)
        {
            foreach (DelegationState d in undelivered) _ = RecallAsync(d);
        }
    }

    /// <summary>
    /// sr_status_flags of SEQUENCE (§18.46.3): CB_PATH_DOWN when no session of the client can be called back
    /// (none asked for a back channel, or it stopped answering), CB_PATH_DOWN_SESSION for this session,
    /// RECALLABLE_STATE_REVOKED while a revoked delegation is not yet freed.
    /// </summary>
    public uint SequenceFlags(Session session)
    {
        lock (_lock)
        {
            uint flags = 0;
            bool any = false;
            foreach (Session s in session.Client.Sessions)
            {
                if (s.BackChannelUp || s.BackState == BackChannelState.Probing) any = true;
            }
            if (!any) flags |= Nfs4Const.Seq4StatusCbPathDown;
            if (!session.BackChannelUp && session.BackState != BackChannelState.Probing) flags |= Nfs4Const.Seq4StatusCbPathDownSession;
            if (session.Client.RevokedDelegations > 0) flags |= Nfs4Const.Seq4StatusRecallableStateRevoked;
            return flags;
        }
    }

    /// <summary>
    /// After an OPEN (under the lock), unless declined: a write delegation for an open for writing when nobody
    /// else has the file open and no delegation of it is out (§10.4), else a read delegation for an open for
    /// reading when nobody has it open for writing; only to a client whose back channel answers and never while
    /// the file is being changed (<see cref="BeginChange"/>) or recalled. Otherwise none, with a reason
    /// (OPEN_DELEGATE_NONE_EXT) when the client said what it wanted (§18.16.3).
    /// </summary>
    private OpenDelegation Delegate(ClientRecord client, FileId file, uint access, uint want)
    {
        bool asked = want != Nfs4Const.ShareAccessWantNoPreference;
        OpenDelegation None(uint why) => asked ? OpenDelegation.NoneExt(why) : OpenDelegation.None;
        switch (want)
        {
            case Nfs4Const.ShareAccessWantNoDeleg: return OpenDelegation.NoneExt(Nfs4Const.Wnd4NotWanted);
            case Nfs4Const.ShareAccessWantCancel: return OpenDelegation.NoneExt(Nfs4Const.Wnd4Cancelled);
        }
        if (!GrantsDelegations) return None(Nfs4Const.Wnd4Resource);
        bool write = (access & Nfs4Const.ShareAccessWrite) != 0;
        // A read delegation cannot come with an open for writing, nor a write delegation with a read-only open.
        if ((want == Nfs4Const.ShareAccessWantReadDeleg && write) || (want == Nfs4Const.ShareAccessWantWriteDeleg && !write))
        {
            return OpenDelegation.NoneExt(Nfs4Const.Wnd4Contention);
        }
        if (!CanCallBack(client)) return None(Nfs4Const.Wnd4Resource);
        if (_changing.ContainsKey(file)) return None(Nfs4Const.Wnd4Contention);
        // A delegation's holder locks locally, never asking: not while another client or an NLM host holds a range it could
        // then lock over (any range for a write delegation, a write range for a read one).
        if (_ranges.Test(file, h => h is LockState l && l.Client == client, 0, ulong.MaxValue, write) is not null) return None(Nfs4Const.Wnd4Contention);
        if (_opensByFile.TryGetValue(file, out List<OpenState>? opens))
        {
            foreach (OpenState o in opens)
            {
                if (write ? o.Client != client : (o.Access & Nfs4Const.ShareAccessWrite) != 0) return None(Nfs4Const.Wnd4Contention);
            }
        }
        if (_delegationsByFile.TryGetValue(file, out List<DelegationState>? delegations))
        {
            foreach (DelegationState d in delegations)
            {
                // Being recalled, this client has one already (its opens are local until it returns it), or a
                // write delegation wants the file alone.
                if (d.RecallSent != 0 || d.Client == client || write) return None(Nfs4Const.Wnd4Contention);
            }
        }
        var delegation = new DelegationState { Id = NewStateId(), Client = client, File = file, Write = write };
        _states[delegation.Id] = delegation;
        client.States.Add(delegation);
        if (delegations is null) _delegationsByFile[file] = delegations = [];
        delegations.Add(delegation);
        _delegationsHeld++;
        _metrics?.Granted(write);
        return new OpenDelegation(write ? Nfs4Const.OpenDelegateWrite : Nfs4Const.OpenDelegateRead, ToStateid(delegation), 0);
    }

    /// <summary>
    /// Under the lock: does a request of <paramref name="client"/> (null: an NFSv3 caller, no v4 client) on
    /// <paramref name="file"/> conflict with another client's delegation? A change (or an open for writing)
    /// conflicts with any; a read or an open for reading only with a write delegation. Each such delegation not
    /// yet recalled is marked and added to <paramref name="recalls"/> (sent by <see cref="SendRecalls"/> after
    /// the lock). True: the request answers DELAY until they are returned.
    /// </summary>
    private bool Conflicts(ClientRecord? client, FileId file, bool change, ref List<DelegationState>? recalls)
    {
        if (!_delegationsByFile.TryGetValue(file, out List<DelegationState>? delegations)) return false;
        bool conflict = false;
        long now = Environment.TickCount64;
        foreach (DelegationState d in delegations)
        {
            if (d.Client == client || (!change && !d.Write)) continue;
            conflict = true;
            if (d.RecallSent != 0) continue;
            d.RecallSent = now;
            _recalled.Add(d);
            (recalls ??= []).Add(d);
        }
        return conflict;
    }

    /// <summary>
    /// One transition before a SETATTR, REMOVE, RENAME, LINK, truncating create (v4) or WRITE, SETATTR, REMOVE,
    /// RENAME, LINK (v3, <paramref name="client"/> null) changes <paramref name="file"/>: DELAY while another
    /// client holds a delegation of it (recalled now); else OK with a ticket that keeps new delegations of the
    /// file from being granted until the change is done and the ticket disposed (§10.4.1).
    /// </summary>
    public Nfs4Status BeginChange(ClientRecord? client, FileId file, out ChangeTicket ticket)
    {
        ticket = default;
        if (!_options.Delegations) return Nfs4Status.Ok;
        List<DelegationState>? recalls = null;
        bool conflict;
        lock (_lock)
        {
            conflict = Conflicts(client, file, change: true, ref recalls);
            if (!conflict) _changing[file] = _changing.GetValueOrDefault(file) + 1;
        }
        SendRecalls(recalls);
        if (conflict) return Nfs4Status.Delay;
        ticket = new ChangeTicket(this, file);
        return Nfs4Status.Ok;
    }

    internal void EndChange(FileId file)
    {
        lock (_lock)
        {
            int left = _changing.GetValueOrDefault(file) - 1;
            if (left > 0) _changing[file] = left;
            else _changing.Remove(file);
        }
    }

    /// <summary>
    /// Before a READ of <paramref name="file"/> by an NFSv3 caller: DELAY while a write delegation of it is out
    /// (recalled now: the holder may have cached writes). A grant after this check is ordered after the read.
    /// </summary>
    public Nfs4Status BeginRead(FileId file)
    {
        if (Volatile.Read(ref _delegationsHeld) == 0) return Nfs4Status.Ok;
        List<DelegationState>? recalls = null;
        bool conflict;
        lock (_lock) conflict = Conflicts(null, file, change: false, ref recalls);
        SendRecalls(recalls);
        return conflict ? Nfs4Status.Delay : Nfs4Status.Ok;
    }

    /// <summary>
    /// GETATTR of size or change by <paramref name="client"/> while another client holds a write delegation of
    /// <paramref name="file"/> (§10.4.3): that client is asked with CB_GETATTR and its size and change are the
    /// answer. No write delegation: OK without values. No answer: the delegation is recalled (DELAY).
    /// </summary>
    public async ValueTask<(Nfs4Status Status, ulong? Size, ulong? Change)> AskWriteDelegationHolderAsync(ClientRecord? client, FileId file)
    {
        if (Volatile.Read(ref _delegationsHeld) == 0) return (Nfs4Status.Ok, null, null);
        DelegationState? holder = null;
        Session? session = null;
        lock (_lock)
        {
            if (_delegationsByFile.TryGetValue(file, out List<DelegationState>? delegations))
            {
                foreach (DelegationState d in delegations) // a loop, not Find: a lambda capturing client allocates per GETATTR
                {
                    if (d.Write && d.Client != client) { holder = d; break; }
                }
                session = holder?.Client.Sessions.Find(s => s.BackChannelUp);
            }
            if (holder is null) return (Nfs4Status.Ok, null, null);
            if (holder.RecallSent != 0) return (Nfs4Status.Delay, null, null);
        }
        CallbackOutcome outcome = default;
        if (session is not null)
        {
            try
            {
                outcome = await CallbackClient.GetAttrAsync(session, file, CallbackTimeout);
            }
            catch (Exception ex)
            {
                Nfs4Log.CallbackFailed(_logger, ex, holder.Client.Id);
            }
        }
        if (outcome.Answered && outcome.Status == Nfs4Status.Ok && outcome.Size is not null)
        {
            _metrics?.AskedAttributes();
            return (Nfs4Status.Ok, outcome.Size, outcome.Change);
        }
        List<DelegationState>? recalls = null;
        lock (_lock) Conflicts(client, file, change: true, ref recalls);
        SendRecalls(recalls);
        return (Nfs4Status.Delay, null, null);
    }

    /// <summary>Starts CB_RECALL of each delegation (after the lock), on a session of its client that can be called back.</summary>
    private void SendRecalls(List<DelegationState>? recalls)
    {
        if (recalls is null) return;
        foreach (DelegationState d in recalls)
        {
            _metrics?.Recalled(d.Write);
            _ = RecallAsync(d);
        }
    }

    private async Task RecallAsync(DelegationState delegation)
    {
        if (delegation.Client.V40 is not null)
        {
            await Recall40Async(delegation); // no sessions: its SETCLIENTID's callback address (Nfs4State.Callback40.cs)
            return;
        }
        Session? session;
        Stateid4 stateid;
        lock (_lock)
        {
            // An answering back channel, else one being probed (a rebind right now): a recall not sent waits a whole lease.
            session = delegation.Client.Sessions.Find(s => s.BackChannelUp)
                ?? delegation.Client.Sessions.Find(s => s.BackState == BackChannelState.Probing && s.BackConnection is { IsClosed: false });
            stateid = ToStateid(delegation);
        }
        Nfs4Log.Recalling(_logger, delegation.Client.Id, delegation.File.Inode);
        // No back channel to ask now: sent again once one answers a probe, else revoked when the lease runs out.
        if (session is null) return;
        CallbackOutcome outcome;
        try
        {
            outcome = await CallbackClient.RecallAsync(session, stateid, delegation.File, CallbackTimeout);
        }
        catch (Exception ex)
        {
            Nfs4Log.CallbackFailed(_logger, ex, delegation.Client.Id);
            outcome = default;
        }
        // No answer: the client learns of it through SEQUENCE (CB_PATH_DOWN) and may bind a new back channel,
        // whose successful probe sends the recall again.
        lock (_lock)
        {
            if (outcome.Answered) delegation.RecallDelivered = true;
            else if (session.BackState == BackChannelState.Up) session.BackState = BackChannelState.Down;
        }
    }

    /// <summary>
    /// DELEGRETURN: the delegation goes (BAD_STATEID for any other kind of stateid or another file's;
    /// DELEG_REVOKED for one revoked meanwhile, which stays until FREE_STATEID).
    /// </summary>
    public Nfs4Status ReturnDelegation(ClientRecord client, in Stateid4 stateid, FileId file)
    {
        lock (_lock)
        {
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found is not DelegationState delegation || delegation.File != file) return Nfs4Status.BadStateId;
            RemoveState(delegation);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>OPEN with CLAIM_DELEGATE_CUR / CLAIM_DELEG_CUR_FH: the stateid must be this client's delegation of the file.</summary>
    public Nfs4Status CheckDelegation(ClientRecord client, in Stateid4 stateid, FileId file)
    {
        lock (_lock)
        {
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            return found is DelegationState d && d.File == file ? Nfs4Status.Ok : Nfs4Status.BadStateId;
        }
    }

    /// <summary>Under the lock, from the lease pass: a recall not answered by DELEGRETURN within a lease revokes the delegation (§10.4.6).</summary>
    private void RevokeUnreturned(long now)
    {
        long limit = LeaseSeconds * 1000L;
        for (int i = _recalled.Count - 1; i >= 0; i--)
        {
            DelegationState d = _recalled[i];
            if (!_states.ContainsKey(d.Id) || d.Revoked)
            {
                _recalled.RemoveAt(i);
                continue;
            }
            if (now - d.RecallSent <= limit) continue;
            _recalled.RemoveAt(i);
            UnlinkDelegation(d);
            d.Revoked = true;
            d.Client.RevokedDelegations++;
            _metrics?.Revoked(d.Write);
            Nfs4Log.DelegationRevoked(_logger, d.Client.Id, d.File.Inode);
            if (d.Client.V40 is not null) RemoveState(d); // 4.0 has no FREE_STATEID: a revoked delegation just goes (as knfsd)
        }
    }

    /// <summary>Takes a delegation off its file (returned, revoked or its client gone).</summary>
    private void UnlinkDelegation(DelegationState d)
    {
        if (d.Revoked) return;
        _delegationsHeld--;
        if (_delegationsByFile.TryGetValue(d.File, out List<DelegationState>? list))
        {
            list.Remove(d);
            if (list.Count == 0) _delegationsByFile.Remove(d.File);
        }
    }
}
