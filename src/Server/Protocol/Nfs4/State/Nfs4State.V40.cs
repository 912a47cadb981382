namespace DittoFs.Server.Protocol.Nfs4.State;

// NFSv4.0 (RFC 7530): clients by SETCLIENTID / SETCLIENTID_CONFIRM with leases renewed by RENEW or by any op
// naming their clientid or stateids, and open and lock owners with seqids (§9.1.7). The opens, locks and share
// reservations themselves are the 4.1 transitions (Nfs4State.Opens.cs): a 4.0 client's lock conflicts with a
// 4.1 client's. The leases, the courtesy rules and the owners file are the 4.1 client's too.
internal sealed partial class Nfs4State
{
    /// <summary>Stateids closed by a 4.0 owner, while a retransmitted CLOSE may still name them (until the owner's next seqid).</summary>
    private readonly Dictionary<ulong, SeqOwner> _retired = new();

    /// <summary>
    /// SETCLIENTID, the RFC 7530 §16.33.5 cases: another principal gets CLID_INUSE while the confirmed record of the
    /// owner is in use (within its lease or holding state, and not a courtesy client); the same verifier and
    /// principal is a callback update (the clientid stays, a new confirm verifier applies it); anything else makes
    /// a new unconfirmed record (new clientid) that replaces the confirmed one once confirmed. An earlier
    /// unconfirmed record of the owner always goes.
    /// </summary>
    public Nfs4Status SetClientId(byte[] ownerId, string ownerKey, ulong verifier, Principal principal, V40Callback callback,
        out ulong clientId, out ulong confirm)
    {
        clientId = confirm = 0;
        lock (_lock)
        {
            ClientRecord? confirmed = null;
            List<ClientRecord>? records = _byOwner.GetValueOrDefault(ownerKey);
            foreach (ClientRecord existing in records ?? [])
            {
                if (existing.Confirmed) confirmed = existing;
            }
            if (confirmed is not null && confirmed.Principal != principal && !confirmed.Courtesy
                && (Environment.TickCount64 - confirmed.LastRenewed <= LeaseSeconds * 1000L || confirmed.States.Count > 0 || confirmed.Sessions.Count > 0))
            {
                return Nfs4Status.ClidInUse;
            }
            foreach (ClientRecord old in records?.ToArray() ?? [])
            {
                if (!old.Confirmed) RemoveClient(old);
            }
            if (confirmed is { V40: { } v40 } && confirmed.Verifier == verifier && confirmed.Principal == principal)
            {
                v40.PendingConfirm = NewConfirmVerifier(v40.ConfirmVerifier);
                v40.PendingCallback = callback;
                clientId = confirmed.Id;
                confirm = v40.PendingConfirm.Value;
                return Nfs4Status.Ok;
            }
            if (_clients.Count >= _options.MaxClients && !DropOldestCourtesyClient()) return Nfs4Status.Delay;
            var client = new ClientRecord
            {
                Id = NewClientId(), OwnerId = ownerId, OwnerKey = ownerKey, Verifier = verifier, Principal = principal,
                V40 = new V40Client { ConfirmVerifier = NewConfirmVerifier(0), Callback = callback },
            };
            _clients[client.Id] = client;
            if (!_byOwner.TryGetValue(ownerKey, out records)) _byOwner[ownerKey] = records = [];
            records.Add(client);
            clientId = client.Id;
            confirm = client.V40.ConfirmVerifier;
            return Nfs4Status.Ok;
        }
    }

    private static ulong NewConfirmVerifier(ulong previous)
    {
        ulong v;
        do v = RandomId(); while (v == previous);
        return v;
    }

    /// <summary>
    /// SETCLIENTID_CONFIRM (§16.34): confirms the record (older records of the owner go with their state, the owner
    /// is persisted for grace: <paramref name="persisted"/>), or applies a callback update; a retransmission of the
    /// confirm is OK again. STALE_CLIENTID for an unknown clientid or verifier, CLID_INUSE for another principal.
    /// </summary>
    public Nfs4Status SetClientIdConfirm(ulong clientId, ulong verifier, Principal principal, out Task persisted)
    {
        persisted = Task.CompletedTask;
        lock (_lock)
        {
            if (!_clients.TryGetValue(clientId, out ClientRecord? client) || client.V40 is not { } v40) return Nfs4Status.StaleClientId;
            if (client.Confirmed)
            {
                if (v40.PendingConfirm != verifier && v40.ConfirmVerifier != verifier) return Nfs4Status.StaleClientId;
                if (client.Principal != principal) return Nfs4Status.ClidInUse;
                if (v40.PendingConfirm == verifier)
                {
                    v40.Callback = v40.PendingCallback;
                    v40.ConfirmVerifier = verifier;
                    v40.PendingConfirm = null;
                }
                Renew(client);
                return Nfs4Status.Ok;
            }
            // An unconfirmed record lives one lease, whether or not the reaper got to it yet.
            if (Environment.TickCount64 - client.LastRenewed > LeaseSeconds * 1000L)
            {
                RemoveClient(client);
                return Nfs4Status.StaleClientId;
            }
            if (v40.ConfirmVerifier != verifier) return Nfs4Status.StaleClientId;
            if (client.Principal != principal) return Nfs4Status.ClidInUse;
            persisted = Confirm(client);
            Renew(client);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>
    /// A confirmed 4.0 client by its clientid (RENEW, OPEN, LOCKT, RELEASE_LOCKOWNER), its lease renewed (a courtesy
    /// client is an ordinary one again). STALE_CLIENTID when unknown (another instance's, or expired) or unconfirmed.
    /// </summary>
    public Nfs4Status Client40(ulong clientId, out ClientRecord? client)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(clientId, out client) || client.V40 is null || !client.Confirmed)
            {
                client = null;
                return Nfs4Status.StaleClientId;
            }
            Renew(client);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>
    /// The 4.0 client a stateid belongs to (a 4.0 compound has no session to say), its lease renewed: STALE_STATEID
    /// for another instance's, BAD_STATEID for an unknown one or a 4.1 client's. A stateid a CLOSE just retired
    /// still names its client (for the CLOSE's retransmission).
    /// </summary>
    public Nfs4Status ClientOf(in Stateid4 stateid, out ClientRecord? client)
    {
        client = null;
        lock (_lock)
        {
            if (stateid.Boot != Boot) return Nfs4Status.StaleStateId;
            if (_states.TryGetValue(stateid.Id, out StateObject? found)) client = found.Client;
            else if (_retired.TryGetValue(stateid.Id, out SeqOwner? retired)) client = retired.Client;
            if (client?.V40 is null || !_clients.ContainsKey(client.Id))
            {
                client = null;
                return Nfs4Status.BadStateId;
            }
            Renew(client);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>The open owner of a 4.0 client, made on its first OPEN.</summary>
    public SeqOwner OpenOwner(ClientRecord client, ReadOnlySpan<byte> owner) => GetOwner(client, "o" + Convert.ToHexString(owner));

    /// <summary>The lock owner of a 4.0 client, made on its first LOCK (open_to_lock_owner4).</summary>
    public SeqOwner LockOwner(ClientRecord client, ReadOnlySpan<byte> owner) => GetOwner(client, "l" + Convert.ToHexString(owner));

    private SeqOwner GetOwner(ClientRecord client, string key)
    {
        lock (_lock)
        {
            Dictionary<string, SeqOwner> owners = client.V40!.Owners;
            if (!owners.TryGetValue(key, out SeqOwner? owner)) owners[key] = owner = new SeqOwner { Key = key, Client = client };
            return owner;
        }
    }

    /// <summary>The owner whose seqid an op on this stateid uses: an open's open owner, a lock's lock owner (BAD_STATEID for others).</summary>
    public Nfs4Status OwnerOf(ClientRecord client, in Stateid4 stateid, out SeqOwner? owner)
    {
        owner = null;
        lock (_lock)
        {
            if (stateid.Boot != Boot) return Nfs4Status.StaleStateId;
            if (_retired.TryGetValue(stateid.Id, out owner)) return owner.Client == client ? Nfs4Status.Ok : Nfs4Status.BadStateId;
            if (!_states.TryGetValue(stateid.Id, out StateObject? found) || found.Client != client) return Nfs4Status.BadStateId;
            string? key = found switch
            {
                OpenState open => "o" + Convert.ToHexString(open.Owner),
                LockState l => "l" + Convert.ToHexString(l.LockOwner),
                _ => null,
            };
            if (key is null) return Nfs4Status.BadStateId;
            Dictionary<string, SeqOwner> owners = client.V40!.Owners;
            if (!owners.TryGetValue(key, out owner)) owners[key] = owner = new SeqOwner { Key = key, Client = client };
            return Nfs4Status.Ok;
        }
    }

    /// <summary>
    /// §9.1.7: the owner's next seqid is a new request; its last one a retransmission (<paramref name="reply"/>: the
    /// op result it got); anything else is BAD_SEQID. An owner's first request takes any seqid, and so does an OPEN
    /// of an open owner never confirmed (§16.16.5: it starts over).
    /// </summary>
    public SeqidCheck BeginSeqid(SeqOwner owner, uint seqid, bool open, out byte[]? reply, out Storage.FileId file)
    {
        reply = null;
        file = default;
        lock (_lock)
        {
            if (!owner.Fresh && seqid == owner.Seqid && owner.Reply is not null)
            {
                reply = owner.Reply;
                file = owner.ReplyFile;
                return SeqidCheck.Replay;
            }
            if (!owner.Fresh && seqid != unchecked(owner.Seqid + 1) && !(open && !owner.Confirmed)) return SeqidCheck.Bad;
            if (owner.Retired != 0)
            {
                _retired.Remove(owner.Retired);
                owner.Retired = 0;
            }
            return SeqidCheck.Next;
        }
    }

    /// <summary>
    /// The op of <paramref name="seqid"/> is done: the seqid is the owner's last and its reply kept, except after the
    /// errors §9.1.7 says leave the seqid alone (the request never got to the owner).
    /// </summary>
    public void EndSeqid(SeqOwner owner, uint seqid, Nfs4Status status, ReadOnlySpan<byte> reply, Storage.FileId file)
    {
        if (status is Nfs4Status.StaleClientId or Nfs4Status.StaleStateId or Nfs4Status.BadStateId or Nfs4Status.BadSeqId
            or Nfs4Status.BadXdr or Nfs4Status.Resource or Nfs4Status.NoFileHandle or Nfs4Status.Moved) return;
        byte[] copy = reply.ToArray();
        lock (_lock)
        {
            owner.Fresh = false;
            owner.Seqid = seqid;
            owner.Reply = copy;
            owner.ReplyFile = file;
        }
    }

    /// <summary>A lock owner's first LOCK (open_to_lock_owner4) succeeded: its lock_seqid is where it starts.</summary>
    public void StartSeqid(SeqOwner owner, uint seqid)
    {
        lock (_lock)
        {
            owner.Fresh = false;
            owner.Seqid = seqid;
            owner.Reply = null;
        }
    }

    /// <summary>An open owner's open is confirmed without OPEN_CONFIRM (a reclaim, CLAIM_PREVIOUS).</summary>
    public void ConfirmOwner(SeqOwner owner)
    {
        lock (_lock) owner.Confirmed = true;
    }

    /// <summary>A 4.0 CLOSE removed this stateid: a retransmission of the CLOSE still finds its owner.</summary>
    public void Retire(SeqOwner owner, in Stateid4 stateid)
    {
        lock (_lock)
        {
            if (owner.Retired != 0) _retired.Remove(owner.Retired);
            owner.Retired = stateid.Id;
            _retired[stateid.Id] = owner;
        }
    }

    /// <summary>
    /// OPEN_CONFIRM (§16.18): the first open of a new open owner is confirmed, its stateid's seqid moves on.
    /// BAD_STATEID when the owner is confirmed already or the stateid is not an open of the current file.
    /// </summary>
    public Nfs4Status ConfirmOpen(ClientRecord client, SeqOwner owner, in Stateid4 stateid, Storage.FileId file, out Stateid4 result)
    {
        result = default;
        lock (_lock)
        {
            Nfs4Status status = Find(stateid, client, out StateObject? found);
            if (status != Nfs4Status.Ok) return status;
            if (found is not OpenState open || open.File != file || owner.Confirmed) return Nfs4Status.BadStateId;
            owner.Confirmed = true;
            open.Seqid++;
            result = ToStateid(open);
            return Nfs4Status.Ok;
        }
    }

    /// <summary>RELEASE_LOCKOWNER (§16.37): the owner's lock stateids go, LOCKS_HELD while one of them holds a range.</summary>
    public Nfs4Status ReleaseLockOwner(ClientRecord client, ReadOnlySpan<byte> owner)
    {
        lock (_lock)
        {
            List<LockState> states = [];
            foreach (StateObject s in client.States)
            {
                if (s is LockState l && l.LockOwner.AsSpan().SequenceEqual(owner)) states.Add(l);
            }
            foreach (LockState l in states)
            {
                if (HoldsLocks(l)) return Nfs4Status.LocksHeld;
            }
            foreach (LockState l in states) RemoveState(l);
            client.V40!.Owners.Remove("l" + Convert.ToHexString(owner));
            return Nfs4Status.Ok;
        }
    }

    /// <summary>A 4.0 client goes: the stateids its owners retired go with it.</summary>
    private void ForgetOwners(ClientRecord client)
    {
        foreach (SeqOwner owner in client.V40!.Owners.Values)
        {
            if (owner.Retired != 0) _retired.Remove(owner.Retired);
        }
        client.V40.Owners.Clear();
    }
}
