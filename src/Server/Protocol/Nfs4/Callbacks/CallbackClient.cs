using DittoFs.Server.Buffers;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4.Callbacks;

/// <summary>
/// The outcome of one CB_COMPOUND: no usable reply (closed, timed out, refused), or the status of its operation;
/// for CB_GETATTR the size and change the client reported.
/// </summary>
internal readonly record struct CallbackOutcome(bool Answered, Nfs4Status Status, ulong? Size = null, ulong? Change = null);

/// <summary>
/// The callback program (RFC 8881 §20) on a session's back channel: CALLs sent on the
/// connection the client bound for it (§2.10.3.1), program csa_cb_program version 1, with the
/// credential of csa_sec_parms. One back channel slot (slot 0): callbacks of a session go one
/// at a time. Every call has a deadline; nothing here runs under the state lock.
///
/// <code>
/// CB_NULL      proc 0: void
/// CB_COMPOUND  proc 1: utf8str_cs tag | uint32 minorversion (the session's) | uint32 callback_ident | nfs_cb_argop4 argarray&lt;&gt;
///   CB_SEQUENCE (11): sessionid4 | sequenceid4 | slotid4 | slotid4 highest | bool cachethis | referring_call_list4&lt;&gt;
///   CB_RECALL    (4): stateid4 | bool truncate | nfs_fh4
///   CB_GETATTR   (3): nfs_fh4 | bitmap4 attr_request
///   CB_OFFLOAD  (15, RFC 7862 §16.1, in a minorversion 2 compound): nfs_fh4 | stateid4 |
///                    offload_info4 = nfsstat4 | (OK: write_response4 = stateid4 wr_callback_id&lt;1&gt; | length4 | stable_how4 | verifier4;
///                                                else: length4 bytes copied)
/// CB_COMPOUND4res: nfsstat4 | utf8str_cs tag | nfs_cb_resop4 resarray&lt;&gt;  (resop: op | nfsstat4 | result)
///   CB_GETATTR4resok: fattr4 = bitmap4 | opaque attrlist (change uint64 if bit 3, size uint64 if bit 4)
/// </code>
/// </summary>
internal static class CallbackClient
{
    private const uint CallbackVersion = 1;

    /// <summary>CB_NULL: does the client answer on this connection? (the probe after CREATE_SESSION / BIND_CONN_TO_SESSION)</summary>
    public static async Task<bool> ProbeAsync(Session session, TimeSpan timeout)
    {
        if (session.BackConnection is not { IsClosed: false } connection || session.CallbackSecurity is not { } security) return false;
        ReplyBuffer call = BeginCall(session.CallbackProgram, Nfs4Const.CbProcNull, security, out _);
        byte[]? reply = await connection.CallAsync(call, timeout);
        return reply is not null && TryReadAccepted(reply, out _);
    }

    /// <summary>CB_SEQUENCE + CB_RECALL of a delegation (§20.2): the client answers at once and returns it with DELEGRETURN later.</summary>
    public static Task<CallbackOutcome> RecallAsync(Session session, Stateid4 stateid, FileId file, TimeSpan timeout) =>
        CompoundAsync(session, timeout, new CallbackArgs(Nfs4Const.OpCbRecall, stateid, file));

    /// <summary>CB_SEQUENCE + CB_OFFLOAD (RFC 7862 §16.1): an asynchronous COPY of <paramref name="file"/> is over, with its status and bytes copied.</summary>
    public static Task<CallbackOutcome> OffloadAsync(Session session, Stateid4 copy, FileId file, Nfs4Status status, ulong count, ulong verifier, TimeSpan timeout) =>
        CompoundAsync(session, timeout, new CallbackArgs(Nfs4Const.OpCbOffload, copy, file, status, count, verifier));

    /// <summary>CB_SEQUENCE + CB_GETATTR of size and change (§20.1), for a file another client may have written under a write delegation.</summary>
    public static Task<CallbackOutcome> GetAttrAsync(Session session, FileId file, TimeSpan timeout) =>
        CompoundAsync(session, timeout, new CallbackArgs(Nfs4Const.OpCbGetAttr, default, file));

    /// <summary>What one callback operation sends (the fields its op uses).</summary>
    private readonly record struct CallbackArgs(uint Op, Stateid4 Stateid, FileId File, Nfs4Status Status = Nfs4Status.Ok, ulong Count = 0, ulong Verifier = 0);

    private static async Task<CallbackOutcome> CompoundAsync(Session session, TimeSpan timeout, CallbackArgs args)
    {
        uint op = args.Op;
        if (session.BackConnection is not { IsClosed: false } connection || session.CallbackSecurity is not { } security) return default;
        if (!await session.CallbackSlot.WaitAsync(timeout)) return default;
        try
        {
            uint sequence = session.CallbackSequence;
            ReplyBuffer call = BuildCompound(session, security, sequence, args);
            byte[]? reply = await connection.CallAsync(call, timeout);
            if (reply is null || !TryReadAccepted(reply, out int results)) return default;
            CallbackOutcome outcome = ReadCompoundResult(reply, results, session.Id, sequence, op, out bool sequenced);
            // The slot moves on only once the client took the sequenceid; after no reply the same one is sent again.
            if (sequenced) session.CallbackSequence++;
            return outcome;
        }
        finally
        {
            session.CallbackSlot.Release();
        }
    }

    private static ReplyBuffer BuildCompound(Session session, CallbackSecurity security, uint sequence, in CallbackArgs args)
    {
        (uint op, Stateid4 stateid, FileId file) = (args.Op, args.Stateid, args.File);
        ReplyBuffer call = BeginCall(session.CallbackProgram, Nfs4Const.CbProcCompound, security, out XdrWriter w);
        w.WriteOpaque(ReadOnlySpan<byte>.Empty); // tag
        w.WriteUInt32(op == Nfs4Const.OpCbOffload ? 2u : session.Minor); // minorversion: the session's (the Linux client matches it); CB_OFFLOAD exists in 2 only
        w.WriteUInt32(0);                        // callback_ident: unused in 4.1
        w.WriteUInt32(2);
        w.WriteUInt32(Nfs4Const.OpCbSequence);
        Span<byte> sid = stackalloc byte[Nfs4Const.SessionIdSize];
        session.Id.Write(sid);
        w.WriteFixedOpaque(sid);
        w.WriteUInt32(sequence);
        w.WriteUInt32(0);                        // slot 0
        w.WriteUInt32(0);                        // highest slot
        w.WriteBool(false);                      // cachethis
        w.WriteUInt32(0);                        // referring call lists: none
        w.WriteUInt32(op);
        Span<byte> fh = stackalloc byte[FileHandle.Size];
        FileHandle.Write(file, fh);
        if (op == Nfs4Const.OpCbRecall)
        {
            stateid.Write(ref w);
            w.WriteBool(false);                  // truncate
            w.WriteOpaque(fh);
        }
        else if (op == Nfs4Const.OpCbOffload)
        {
            w.WriteOpaque(fh);
            stateid.Write(ref w);
            w.WriteInt32((int)args.Status);
            if (args.Status == Nfs4Status.Ok)
            {
                w.WriteUInt32(0);                // wr_callback_id: none
                w.WriteUInt64(args.Count);
                w.WriteUInt32(Nfs4Const.FileSync4);
                w.WriteUInt64(args.Verifier);
            }
            else
            {
                w.WriteUInt64(args.Count);       // coa_bytes_copied
            }
        }
        else
        {
            w.WriteOpaque(fh);
            w.WriteUInt32(1);                    // bitmap4: change (3) and size (4)
            w.WriteUInt32((1u << 3) | (1u << 4));
        }
        w.Flush();
        return call;
    }

    /// <summary>RPC CALL header (RFC 5531 §9) with the back channel's credential; the xid is set by the connection.</summary>
    private static ReplyBuffer BeginCall(uint program, uint procedure, CallbackSecurity security, out XdrWriter w)
    {
        ReplyBuffer call = ReplyBuffer.Rent();
        call.Reset();
        w = new XdrWriter(call);
        w.WriteUInt32(0);
        w.WriteInt32((int)MessageType.Call);
        w.WriteUInt32(RpcPrograms.RpcVersion);
        w.WriteUInt32(program);
        w.WriteUInt32(CallbackVersion);
        w.WriteUInt32(procedure);
        w.WriteUInt32(security.Flavor);
        w.WriteOpaque(security.Body);
        w.WriteInt32((int)AuthFlavor.None);
        w.WriteInt32(0);
        if (procedure == Nfs4Const.CbProcNull) w.Flush();
        return call;
    }

    /// <summary>An accepted, successful RPC reply; <paramref name="results"/> is where its results start.</summary>
    private static bool TryReadAccepted(byte[] reply, out int results)
    {
        results = 0;
        try
        {
            var r = new XdrReader(reply);
            _ = r.ReadUInt32();
            if (r.ReadInt32() != (int)MessageType.Reply || r.ReadInt32() != (int)ReplyStatus.Accepted) return false;
            _ = r.ReadUInt32();
            _ = r.ReadOpaque(RpcPrograms.MaxAuthBytes);
            if (r.ReadInt32() != (int)AcceptStatus.Success) return false;
            results = (int)r.Consumed;
            return true;
        }
        catch (XdrException)
        {
            return false;
        }
    }

    /// <summary>The fattr4 of CB_GETATTR4resok: the values of change and size, in bit order, of those the bitmap names.</summary>
    private static CallbackOutcome ReadSizeAndChange(ref XdrReader r)
    {
        uint words = r.ReadUInt32();
        if (words > 8) return new CallbackOutcome(true, Nfs4Status.BadXdr);
        uint w0 = words > 0 ? r.ReadUInt32() : 0;
        for (uint i = 1; i < words; i++) _ = r.ReadUInt32();
        var values = new XdrReader(r.ReadOpaque(64));
        ulong? change = (w0 & (1u << 3)) != 0 ? values.ReadUInt64() : null;
        ulong? size = (w0 & (1u << 4)) != 0 ? values.ReadUInt64() : null;
        return new CallbackOutcome(true, Nfs4Status.Ok, size, change);
    }

    /// <summary>
    /// The CB_COMPOUND4res of the call sent: its CB_SEQUENCE result must name the session, sequenceid and slot
    /// sent, and the second result the op sent. Anything else (a reply made for another call, garbage under the
    /// right xid) is no answer: a real callback is never completed by the wrong reply.
    /// </summary>
    private static CallbackOutcome ReadCompoundResult(byte[] reply, int offset, SessionId session, uint sequenceId, uint op, out bool sequenced)
    {
        sequenced = false;
        try
        {
            var r = new XdrReader(reply.AsMemory(offset));
            var status = (Nfs4Status)r.ReadInt32();
            _ = r.ReadOpaque(Nfs4Const.MaxTag);
            uint count = r.ReadUInt32();
            if (count > 2 || (status == Nfs4Status.Ok && count != 2)) return default;
            if (count == 0) return new CallbackOutcome(true, status);
            if (r.ReadUInt32() != Nfs4Const.OpCbSequence) return new CallbackOutcome(true, Nfs4Status.SequencePos);
            var sequence = (Nfs4Status)r.ReadInt32();
            if (sequence != Nfs4Status.Ok) return count == 1 ? new CallbackOutcome(true, sequence) : default;
            var sid = new SessionId(r.ReadUInt64(), r.ReadUInt64());
            if (sid != session || r.ReadUInt32() != sequenceId || r.ReadUInt32() != 0) return default;
            _ = r.ReadUInt32();                   // highest slot
            _ = r.ReadUInt32();                   // target highest slot
            sequenced = true;
            if (count == 1) return new CallbackOutcome(true, status);
            if (r.ReadUInt32() != op) return default;
            var opStatus = (Nfs4Status)r.ReadInt32();
            if (op != Nfs4Const.OpCbGetAttr || opStatus != Nfs4Status.Ok) return new CallbackOutcome(true, opStatus);
            return ReadSizeAndChange(ref r);
        }
        catch (XdrException)
        {
            return default;
        }
    }
}
