using System.Buffers;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.35-18.37, §18.46, §18.49-18.51: clients, sessions, slots.
internal sealed partial class Nfs4Program
{
    private static readonly byte[] s_serverOwner = System.Text.Encoding.UTF8.GetBytes("dittofs:" + Environment.MachineName);

    // §18.35 EXCHANGE_ID: one client record per owner and principal; a new verifier (the client rebooted) makes a new, unconfirmed record.
    private Nfs4Status ExchangeId(Compound c)
    {
        XdrReader r = c.Reader();
        ulong verifier = r.ReadUInt64();
        byte[] ownerId = r.ReadOpaqueArray(Nfs4Const.OpaqueLimit);
        uint flags = r.ReadUInt32();
        uint protect = r.ReadUInt32();
        if (protect == Nfs4Const.Sp4MachCred)
        {
            _ = Attributes.Bitmap4.Read(ref r);
            _ = Attributes.Bitmap4.Read(ref r);
        }
        else if (protect != Nfs4Const.Sp4None)
        {
            return Nfs4Status.EncrAlgUnsupp; // SP4_SSV is not offered
        }
        int impl = r.ReadArrayLength(1);
        for (int i = 0; i < impl; i++)
        {
            _ = r.ReadOpaque(Nfs4Const.OpaqueLimit);
            _ = r.ReadOpaque(Nfs4Const.OpaqueLimit);
            _ = r.ReadInt64();
            _ = r.ReadUInt32();
        }
        c.Consumed(r);
        if (ownerId.Length == 0) return Nfs4Status.Inval;
        if ((flags & ~(Nfs4Const.ExchgIdSuppMovedRefer | Nfs4Const.ExchgIdSuppMovedMigr | Nfs4Const.ExchgIdBindPrincStateid
            | Nfs4Const.ExchgIdUseNonPnfs | Nfs4Const.ExchgIdUsePnfsMds | Nfs4Const.ExchgIdUsePnfsDs | Nfs4Const.ExchgIdUpdConfirmedRecA)) != 0)
        {
            return Nfs4Status.Inval;
        }

        bool update = (flags & Nfs4Const.ExchgIdUpdConfirmedRecA) != 0;
        Nfs4Status status = state.ExchangeId(ownerId, Convert.ToHexString(ownerId), verifier, update, Principal.Of(c.Call), out ExchangeIdResult client);
        if (status != Nfs4Status.Ok) return status;

        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteUInt64(client.ClientId);
        w.WriteUInt32(client.Sequence);
        w.WriteUInt32(Nfs4Const.ExchgIdUseNonPnfs | (client.Confirmed ? Nfs4Const.ExchgIdConfirmedR : 0));
        w.WriteUInt32(Nfs4Const.Sp4None);
        w.WriteUInt64(0);                 // so_minor_id
        w.WriteOpaque(s_serverOwner);     // so_major_id
        w.WriteOpaque(s_serverOwner);     // eir_server_scope
        w.WriteInt32(0);                  // eir_server_impl_id<1>: none
        w.Flush();
        return Nfs4Status.Ok;
    }

    private static ChannelAttrs ReadChannelAttrs(ref XdrReader r)
    {
        var attrs = new ChannelAttrs(r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32());
        int ird = r.ReadArrayLength(1);
        for (int i = 0; i < ird; i++) _ = r.ReadUInt32();
        return attrs;
    }

    private static void WriteChannelAttrs(ref XdrWriter w, in ChannelAttrs a)
    {
        w.WriteUInt32(a.HeaderPadSize);
        w.WriteUInt32(a.MaxRequestSize);
        w.WriteUInt32(a.MaxResponseSize);
        w.WriteUInt32(a.MaxResponseSizeCached);
        w.WriteUInt32(a.MaxOperations);
        w.WriteUInt32(a.MaxRequests);
        w.WriteInt32(0); // ca_rdma_ird<1>: none
    }

    /// <summary>
    /// callback_sec_parms4&lt;&gt; (§18.36): the first AUTH_NONE or AUTH_SYS entry is what callbacks will carry
    /// (an AUTH_SYS one as its authsys_parms bytes, the credential body); null when only RPCSEC_GSS is offered.
    /// <paramref name="source"/> is the memory <paramref name="r"/> reads.
    /// </summary>
    private static CallbackSecurity? ReadCallbackSecParms(ref XdrReader r, ReadOnlyMemory<byte> source)
    {
        CallbackSecurity? chosen = null;
        int count = r.ReadArrayLength(64);
        for (int i = 0; i < count; i++)
        {
            uint flavor = r.ReadUInt32();
            switch (flavor)
            {
                case Nfs4Const.AuthNone:
                    chosen ??= new CallbackSecurity(Nfs4Const.AuthNone, []);
                    break;
                case Nfs4Const.AuthSys:
                    int start = (int)r.Consumed;
                    _ = r.ReadUInt32();
                    _ = r.ReadOpaque(255);
                    _ = r.ReadUInt32();
                    _ = r.ReadUInt32();
                    int gids = r.ReadArrayLength(16);
                    for (int g = 0; g < gids; g++) _ = r.ReadUInt32();
                    chosen ??= new CallbackSecurity(Nfs4Const.AuthSys, source[start..(int)r.Consumed].ToArray());
                    break;
                case Nfs4Const.RpcSecGss:
                    _ = r.ReadUInt32();
                    _ = r.ReadOpaque(Nfs4Const.OpaqueLimit);
                    _ = r.ReadOpaque(Nfs4Const.OpaqueLimit);
                    break;
                default:
                    XdrException.Throw("unknown callback_sec_parms4 flavor");
                    break;
            }
        }
        return chosen;
    }

    // §18.36 CREATE_SESSION: confirms the client; a retry (same sequenceid) gets the cached reply.
    private async ValueTask<Nfs4Status> CreateSessionAsync(Compound c)
    {
        Nfs4Status status = CreateSession(c, out byte[]? result, out Task persisted);
        if (status != Nfs4Status.Ok) return status;
        // A newly confirmed owner is on disk before the client may build state it will want to reclaim.
        await persisted;
        XdrWriter reply = c.Begin(Nfs4Status.Ok);
        reply.WriteFixedOpaque(result!);
        reply.Flush();
        return Nfs4Status.Ok;
    }

    private Nfs4Status CreateSession(Compound c, out byte[]? result, out Task persisted)
    {
        XdrReader r = c.Reader();
        ulong clientId = r.ReadUInt64();
        uint sequence = r.ReadUInt32();
        uint flags = r.ReadUInt32();
        ChannelAttrs fore = ReadChannelAttrs(ref r);
        ChannelAttrs back = ReadChannelAttrs(ref r);
        uint callbackProgram = r.ReadUInt32();
        CallbackSecurity? security = ReadCallbackSecParms(ref r, c.Args[c.Position..]);
        c.Consumed(r);

        uint maxRecord = (uint)Options.MaxRecordSize;
        // Slots and the cached reply size are cut further by the state (its options and the server-wide budget).
        var wanted = new ChannelAttrs(
            0,
            Math.Min(fore.MaxRequestSize, maxRecord),
            Math.Min(fore.MaxResponseSize, maxRecord),
            fore.MaxResponseSizeCached,
            Math.Min(fore.MaxOperations, MaxOperations),
            fore.MaxRequests);
        // The back channel runs on this connection (§2.10.3.1) when asked for: probed with CB_NULL once the session exists.
        var backChannel = back with { HeaderPadSize = 0 };
        var request = new CreateSessionRequest(clientId, sequence, wanted, backChannel, callbackProgram);
        uint answeredFlags = flags & Nfs4Const.CreateSessionConnBackChan;
        SessionId created = default;
        bool made = false;
        Nfs4Status status = state.CreateSession(request, Principal.Of(c.Call), (id, negotiated) =>
        {
            created = id;
            made = true;
            var buffer = new ArrayBufferWriter<byte>(128);
            var w = new XdrWriter(buffer);
            Span<byte> sid = stackalloc byte[Nfs4Const.SessionIdSize];
            id.Write(sid);
            w.WriteFixedOpaque(sid);
            w.WriteUInt32(sequence);
            w.WriteUInt32(answeredFlags);
            WriteChannelAttrs(ref w, negotiated);
            WriteChannelAttrs(ref w, backChannel);
            w.Flush();
            return buffer.WrittenSpan.ToArray();
        }, out result, out persisted);
        // A retry answered from the cache made no session: nothing new to bind.
        if (made) state.BindBackChannel(created, answeredFlags != 0 ? c.Call.Connection : null, security, keepSecurity: false);
        return status;
    }

    private static SessionId ReadSessionId(ref XdrReader r)
    {
        // sessionid4 is opaque[16]: no length, no padding.
        return new SessionId(r.ReadUInt64(), r.ReadUInt64());
    }

    // §18.46 SEQUENCE: the slot's seqid decides: +1 is a new request, equal is a retry (cached reply), anything else is misordered.
    private Nfs4Status Sequence(Compound c)
    {
        XdrReader r = c.Reader();
        SessionId id = ReadSessionId(ref r);
        uint seqid = r.ReadUInt32();
        uint slotId = r.ReadUInt32();
        _ = r.ReadUInt32(); // sa_highest_slotid
        bool cacheThis = r.ReadBool(); // every reply that fits is cached; with cachethis one that does not is an error
        c.Consumed(r);

        Nfs4Status status = state.BeginSequence(id, seqid, slotId, c.OpCount, out Session? session, out Slot? slot, out bool replay);
        if (status != Nfs4Status.Ok) return status;
        if (replay)
        {
            c.Replay = slot;
            return Nfs4Status.Ok;
        }
        c.Session = session;
        c.Slot = slot;
        c.Client = session!.Client;
        c.CacheThis = cacheThis;

        uint highest = (uint)session.Slots.Length - 1;
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        Span<byte> sid = stackalloc byte[Nfs4Const.SessionIdSize];
        id.Write(sid);
        w.WriteFixedOpaque(sid);
        w.WriteUInt32(seqid);
        w.WriteUInt32(slotId);
        w.WriteUInt32(highest);
        w.WriteUInt32(highest);
        w.WriteUInt32(state.SequenceFlags(session));
        w.Flush();
        return Nfs4Status.Ok;
    }

    // §18.37 DESTROY_SESSION: only by the principal of the session's client.
    private Nfs4Status DestroySession(Compound c)
    {
        XdrReader r = c.Reader();
        SessionId id = ReadSessionId(ref r);
        c.Consumed(r);
        return state.DestroySession(id, Principal.Of(c.Call));
    }

    // §18.50 DESTROY_CLIENTID: only a client without sessions, only by its principal.
    private Nfs4Status DestroyClientId(Compound c)
    {
        XdrReader r = c.Reader();
        ulong clientId = r.ReadUInt64();
        c.Consumed(r);
        return state.DestroyClient(clientId, Principal.Of(c.Call));
    }

    // §18.34 BIND_CONN_TO_SESSION: every connection may carry both channels.
    private Nfs4Status BindConnToSession(Compound c)
    {
        XdrReader r = c.Reader();
        SessionId id = ReadSessionId(ref r);
        uint dir = r.ReadUInt32();
        _ = r.ReadBool();
        c.Consumed(r);
        Nfs4Status status = state.BindConnection(id);
        if (status != Nfs4Status.Ok) return status;
        uint answer = dir switch
        {
            Nfs4Const.CdfcFore => Nfs4Const.CdfsFore,
            Nfs4Const.CdfcBack => Nfs4Const.CdfsBack,
            Nfs4Const.CdfcForeOrBoth or Nfs4Const.CdfcBackOrBoth => Nfs4Const.CdfsBoth,
            _ => 0,
        };
        if (answer == 0) return Nfs4Status.Inval;
        // The client (re)binds its back channel here, e.g. after CB_PATH_DOWN: callbacks now go on this connection.
        if ((answer & Nfs4Const.CdfsBack) != 0) state.BindBackChannel(id, c.Call.Connection, null, keepSecurity: true);
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        Span<byte> sid = stackalloc byte[Nfs4Const.SessionIdSize];
        id.Write(sid);
        w.WriteFixedOpaque(sid);
        w.WriteUInt32(answer);
        w.WriteBool(false);
        w.Flush();
        return Nfs4Status.Ok;
    }

    // §18.33 BACKCHANNEL_CTL: the program and security of the session's callbacks from now on.
    private Nfs4Status BackchannelCtl(Compound c)
    {
        XdrReader r = c.Reader();
        uint program = r.ReadUInt32();
        CallbackSecurity? security = ReadCallbackSecParms(ref r, c.Args[c.Position..]);
        c.Consumed(r);
        if (security is null) return Nfs4Status.EncrAlgUnsupp; // only RPCSEC_GSS offered: we cannot call back with it
        state.SetCallback(c.Session!, program, security);
        return Nfs4Status.Ok;
    }

    // §18.51 RECLAIM_COMPLETE
    private Nfs4Status ReclaimComplete(Compound c)
    {
        XdrReader r = c.Reader();
        bool oneFs = r.ReadBool();
        c.Consumed(r);
        if (oneFs) return Nfs4Status.Ok;
        return state.ReclaimComplete(c.Client!);
    }
}
