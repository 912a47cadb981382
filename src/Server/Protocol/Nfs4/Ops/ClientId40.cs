using System.Buffers.Binary;
using System.Text;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// NFSv4.0 (RFC 7530) §16.33 SETCLIENTID, §16.34 SETCLIENTID_CONFIRM, §16.29 RENEW, §16.18 OPEN_CONFIRM,
// §16.37 RELEASE_LOCKOWNER, and the seqids of open and lock owners (§9.1.7) the 4.0 OPEN, CLOSE, LOCK, … use.
// A 4.0 compound has no SEQUENCE: the client of each op comes from its clientid or stateid (Nfs4State.V40.cs).
// The callback of SETCLIENTID is called only at the client's own host, after its confirm (Nfs4State.Callback40.cs).
internal sealed partial class Nfs4Program
{
    // §16.33 SETCLIENTID: a clientid and the verifier that confirms it; CLID_INUSE (with the clientaddr4 in use) for another principal.
    private Nfs4Status SetClientId(Compound c)
    {
        SetClientId4Args a = c.Decode<SetClientId4Args>();
        byte[] ownerId = a.Client.OwnerId.ToArray();
        if (ownerId.Length == 0) return Nfs4Status.Inval;
        string netid = Encoding.ASCII.GetString(a.Callback.Location.Netid.Span), address = Encoding.ASCII.GetString(a.Callback.Location.Addr.Span);
        var callback = new V40Callback(a.Callback.Program, netid, address, a.CallbackIdent,
            Callbacks.CallbackClient40.Resolve(netid, address, c.Call.Connection.RemoteEndPoint?.Address));
        Nfs4Status status = state.SetClientId(ownerId, Convert.ToHexString(ownerId), a.Client.Verifier, Principal.Of(c.Call), callback,
            out ulong clientId, out ulong confirm);
        if (status == Nfs4Status.ClidInUse)
        {
            // SETCLIENTID4res: case NFS4ERR_CLID_INUSE: clientaddr4 client_using (we do not say whose: empty).
            XdrWriter w = c.Begin(status);
            new NetAddr4 { Netid = "tcp"u8.ToArray(), Addr = ReadOnlyMemory<byte>.Empty }.Encode(ref w);
            w.Flush();
            return status;
        }
        if (status != Nfs4Status.Ok) return status;
        return c.ReplyOk(new SetClientId4ResOk { ClientId = clientId, Confirm = confirm });
    }

    // §16.34 SETCLIENTID_CONFIRM: a newly confirmed owner is on disk before the client may build state it will want to reclaim.
    private async ValueTask<Nfs4Status> SetClientIdConfirmAsync(Compound c)
    {
        SetClientIdConfirm4Args a = c.Decode<SetClientIdConfirm4Args>();
        Nfs4Status status = state.SetClientIdConfirm(a.ClientId, a.Confirm, Principal.Of(c.Call), out Task persisted);
        if (status != Nfs4Status.Ok) return status;
        await persisted;
        state.ProbeCallback40(a.ClientId);
        return Nfs4Status.Ok;
    }

    // §16.29 RENEW: STALE_CLIENTID for a client this instance does not know (the client then starts over and reclaims);
    // CB_PATH_DOWN, the lease renewed all the same, while it holds delegations it cannot be called back about.
    private Nfs4Status Renew(Compound c)
    {
        ulong clientId = c.Decode<Renew4Args>().ClientId;
        Nfs4Status status = state.Client40(clientId, out ClientRecord? client);
        c.Client = client;
        if (status == Nfs4Status.Ok && state.CallbackPathDown40(client!)) return Nfs4Status.CbPathDown;
        return status;
    }

    // §16.18 OPEN_CONFIRM: the first open of a new open owner, by the owner's next seqid.
    private Nfs4Status OpenConfirm(Compound c)
    {
        OpenConfirm4Args a = c.Decode<OpenConfirm4Args>();
        Stateid4 stateid = a.OpenStateid;
        Nfs4Status status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return Nfs4Status.IsDir;
        status = state.OwnerOf(c.Client!, stateid, out SeqOwner? owner);
        if (status != Nfs4Status.Ok) return status;
        if (!BeginSeqid(c, owner!, a.Seqid, open: false, out status)) return status;
        status = state.ConfirmOpen(c.Client!, owner!, stateid, c.Current.Id, out Stateid4 result);
        if (status != Nfs4Status.Ok) return status;
        return c.ReplyWithCurrentStateid(result);
    }

    // §16.37 RELEASE_LOCKOWNER: the lock owner's stateids go; LOCKS_HELD while it holds a lock.
    private Nfs4Status ReleaseLockOwner(Compound c)
    {
        StateOwner4 owner = c.Decode<ReleaseLockOwner4Args>().LockOwner;
        Nfs4Status status = state.Client40(owner.ClientId, out ClientRecord? client);
        if (status != Nfs4Status.Ok) return status;
        c.Client = client;
        return state.ReleaseLockOwner(client!, owner.Owner.Span);
    }

    /// <summary>
    /// A 4.0 op with an owner's seqid (§9.1.7): true to go on (the op's reply is kept with the owner when done);
    /// false with the op's status when it is done already: BAD_SEQID, or a retransmission answered with the reply
    /// the owner's last request got (and, for an OPEN, its file as the current filehandle).
    /// </summary>
    private bool BeginSeqid(Compound c, SeqOwner owner, uint seqid, bool open, out Nfs4Status status)
    {
        switch (state.BeginSeqid(owner, seqid, open, out byte[]? reply, out FileId file))
        {
            case SeqidCheck.Replay:
                status = (Nfs4Status)BinaryPrimitives.ReadInt32BigEndian(reply);
                XdrWriter w = c.Begin(status);
                w.WriteFixedOpaque(reply.AsSpan(4));
                w.Flush();
                if (c.Current.Kind == FhKind.File && file.Inode != 0) c.Current.Id = file;
                return false;
            case SeqidCheck.Bad:
                status = Nfs4Status.BadSeqId;
                return false;
            default:
                c.SeqOwner = owner;
                c.SeqidUsed = seqid;
                status = Nfs4Status.Ok;
                return true;
        }
    }

    /// <summary>
    /// 4.0: the client of a stateid (there is no session to say), bound to the compound; the special stateids name none.
    /// A no-op in 4.1 (SEQUENCE bound it).
    /// </summary>
    private Nfs4Status BindClient(Compound c, in Stateid4 stateid)
    {
        if (c.Minor != 0 || stateid.IsAnonymous || stateid.IsBypass) return Nfs4Status.Ok;
        Nfs4Status status = state.ClientOf(stateid, out ClientRecord? client);
        c.Client = client;
        return status;
    }
}
