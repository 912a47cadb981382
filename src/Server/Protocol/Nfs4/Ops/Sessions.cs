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
        ExchangeId4Args a = c.Decode<ExchangeId4Args>();
        if (a.StateProtect.How is not (Nfs4Const.Sp4None or Nfs4Const.Sp4MachCred)) return Nfs4Status.EncrAlgUnsupp; // SP4_SSV is not offered
        (ulong verifier, byte[] ownerId, uint flags) = (a.ClientOwner.Verifier, a.ClientOwner.OwnerId.ToArray(), a.Flags);
        if (ownerId.Length == 0) return Nfs4Status.Inval;
        if ((flags & ~(Nfs4Const.ExchgIdSuppMovedRefer | Nfs4Const.ExchgIdSuppMovedMigr | Nfs4Const.ExchgIdBindPrincStateid
            | Nfs4Const.ExchgIdUseNonPnfs | Nfs4Const.ExchgIdUsePnfsMds | Nfs4Const.ExchgIdUsePnfsDs | Nfs4Const.ExchgIdUpdConfirmedRecA)) != 0)
        {
            return Nfs4Status.Inval;
        }

        bool update = (flags & Nfs4Const.ExchgIdUpdConfirmedRecA) != 0;
        Nfs4Status status = state.ExchangeId(ownerId, Convert.ToHexString(ownerId), verifier, update, Principal.Of(c.Call), out ExchangeIdResult client);
        if (status != Nfs4Status.Ok) return status;

        return c.ReplyOk(new ExchangeId4ResOk
        {
            ClientId = client.ClientId,
            SequenceId = client.Sequence,
            Flags = Nfs4Const.ExchgIdUseNonPnfs | (client.Confirmed ? Nfs4Const.ExchgIdConfirmedR : 0),
            StateProtect = new StateProtect4R { How = Nfs4Const.Sp4None },
            ServerOwner = new ServerOwner4 { MinorId = 0, MajorId = s_serverOwner },
            ServerScope = s_serverOwner,
            // eir_server_impl_id<1>: none
        });
    }

    /// <summary>
    /// callback_sec_parms4&lt;&gt; (§18.36): the first AUTH_NONE or AUTH_SYS entry is what callbacks will carry
    /// (an AUTH_SYS one as its authsys_parms bytes, the credential body); null when only RPCSEC_GSS is offered.
    /// </summary>
    private static CallbackSecurity? ChooseCallbackSecurity(CallbackSecParms4[] offered)
    {
        foreach (CallbackSecParms4 p in offered ?? [])
        {
            if (p.Flavor == Nfs4Const.AuthNone) return new CallbackSecurity(Nfs4Const.AuthNone, []);
            if (p.Flavor != Nfs4Const.AuthSys) continue;
            var body = new ArrayBufferWriter<byte>(64);
            var w = new XdrWriter(body);
            p.SysCred.Encode(ref w);
            w.Flush();
            return new CallbackSecurity(Nfs4Const.AuthSys, body.WrittenSpan.ToArray());
        }
        return null;
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
        CreateSession4Args a = c.Decode<CreateSession4Args>();
        (ulong clientId, uint sequence, uint flags, uint callbackProgram) = (a.ClientId, a.Sequence, a.Flags, a.CbProgram);
        (ChannelAttrs fore, ChannelAttrs back) = (a.ForeChanAttrs.ToState(), a.BackChanAttrs.ToState());
        CallbackSecurity? security = ChooseCallbackSecurity(a.SecParms);
        result = null;
        persisted = Task.CompletedTask;

        // §18.36.3 (checked before the sequenceid, as knfsd): unknown flag bits are INVAL; channels too small for a bare SEQUENCE (CB_SEQUENCE) are TOOSMALL.
        if ((flags & ~(Nfs4Const.CreateSessionPersist | Nfs4Const.CreateSessionConnBackChan | Nfs4Const.CreateSessionConnRdma)) != 0) return Nfs4Status.Inval;
        if (fore.MaxRequestSize < MinSequenceRequest || fore.MaxResponseSize < MinSequenceReply
            || back.MaxRequestSize < MinSequenceRequest || back.MaxResponseSize < MinSequenceReply) return Nfs4Status.TooSmall;

        uint maxRecord = (uint)Options.MaxRecordSize;
        // The server only ever lowers what the client offered (§18.36.3); slots and the cached reply size
        // are cut further by the state (its options and the server-wide budget).
        uint maxResponse = Math.Min(fore.MaxResponseSize, maxRecord);
        var wanted = new ChannelAttrs(
            0,
            Math.Min(fore.MaxRequestSize, maxRecord),
            maxResponse,
            Math.Min(fore.MaxResponseSizeCached, maxResponse),
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
            new CreateSession4ResOk
            {
                SessionId = id,
                Sequence = sequence,
                Flags = answeredFlags,
                ForeChanAttrs = ChannelAttrs4.From(negotiated),
                BackChanAttrs = ChannelAttrs4.From(backChannel),
            }.Encode(ref w);
            w.Flush();
            return buffer.WrittenSpan.ToArray();
        }, out result, out persisted);
        // A retry answered from the cache made no session: nothing new to bind.
        if (made) state.BindBackChannel(created, answeredFlags != 0 ? c.Call.Connection : null, security, keepSecurity: false);
        return status;
    }

    /// <summary>
    /// The smallest COMPOUND a channel must carry (§18.36.3 TOOSMALL): a SEQUENCE alone with an empty tag,
    /// RPC headers with AUTH_NONE included, record marking excluded: call 40 + COMPOUND 12 + SEQUENCE 36;
    /// reply 24 + COMPOUND 12 + SEQUENCE result 44.
    /// </summary>
    private const uint MinSequenceRequest = 88, MinSequenceReply = 80;

    // §18.46 SEQUENCE: the slot's seqid decides: +1 is a new request, equal is a retry (cached reply), anything else is misordered.
    private Nfs4Status Sequence(Compound c)
    {
        // sa_highest_slotid is unused; every reply that fits is cached, with sa_cachethis one that does not is an error.
        (SessionId4 id, uint seqid, uint slotId, _, bool cacheThis) = c.Decode<Sequence4Args>();

        Nfs4Status status = state.BeginSequence(id, seqid, slotId, c.OpCount, c.Call.Record.Length, out Session? session, out Slot? slot, out bool replay);
        if (status != Nfs4Status.Ok) return status;
        if (replay)
        {
            c.Replay = slot;
            return Nfs4Status.Ok;
        }
        c.Session = session;
        c.Slot = slot;
        c.Client = session!.Client;
        session.Minor = c.Minor; // callbacks carry it: the Linux client finds its client by session and minor version
        c.CacheThis = cacheThis;

        uint highest = (uint)session.Slots.Length - 1;
        return c.ReplyOk(new Sequence4ResOk
        {
            SessionId = id,
            SequenceId = seqid,
            SlotId = slotId,
            HighestSlotId = highest,
            TargetHighestSlotId = highest,
            StatusFlags = state.SequenceFlags(session), // callback path trouble, revoked delegations
        });
    }

    // §18.37 DESTROY_SESSION: only by the principal of the session's client.
    private Nfs4Status DestroySession(Compound c)
    {
        SessionId id = c.Decode<DestroySession4Args>().SessionId;
        return state.DestroySession(id, Principal.Of(c.Call));
    }

    // §18.50 DESTROY_CLIENTID: only a client without sessions, only by its principal.
    private Nfs4Status DestroyClientId(Compound c)
    {
        ulong clientId = c.Decode<DestroyClientId4Args>().ClientId;
        return state.DestroyClient(clientId, Principal.Of(c.Call));
    }

    // §18.34 BIND_CONN_TO_SESSION: by the principal of the session's client; every connection may carry both channels.
    private Nfs4Status BindConnToSession(Compound c)
    {
        BindConnToSession4Args a = c.Decode<BindConnToSession4Args>();
        (SessionId id, uint dir) = (a.SessionId, a.Dir);
        Nfs4Status status = state.BindConnection(id, Principal.Of(c.Call));
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
        return c.ReplyOk(new BindConnToSession4ResOk { SessionId = id, Dir = answer, UseConnInRdmaMode = false });
    }

    // §18.33 BACKCHANNEL_CTL: the program and security of the session's callbacks from now on.
    private Nfs4Status BackchannelCtl(Compound c)
    {
        BackchannelCtl4Args a = c.Decode<BackchannelCtl4Args>();
        CallbackSecurity? security = ChooseCallbackSecurity(a.SecParms);
        if (security is null) return Nfs4Status.EncrAlgUnsupp; // only RPCSEC_GSS offered: we cannot call back with it
        state.SetCallback(c.Session!, a.CbProgram, security);
        return Nfs4Status.Ok;
    }

    // §18.51 RECLAIM_COMPLETE: for the whole client once (COMPLETE_ALREADY after); rca_one_fs only
    // speaks of the current filehandle's file system (NOFILEHANDLE without one) and, as in knfsd,
    // ends nothing: this server has no file systems migrating in.
    private Nfs4Status ReclaimComplete(Compound c)
    {
        bool oneFs = c.Decode<ReclaimComplete4Args>().OneFs;
        if (oneFs) return NeedFh(c);
        return state.ReclaimComplete(c.Client!);
    }
}
