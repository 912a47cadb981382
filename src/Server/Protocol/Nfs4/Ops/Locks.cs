using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.10 LOCK, §18.11 LOCKT, §18.12 LOCKU, §18.38 FREE_STATEID, §18.48 TEST_STATEID.
internal sealed partial class Nfs4Program
{
    /// <summary>[offset, offset+length) as [start, end); length all-ones means to the end of the file. INVAL for 0 or an overflow.</summary>
    private static Nfs4Status ToRange(ulong offset, ulong length, out ulong start, out ulong end)
    {
        start = offset;
        end = ulong.MaxValue;
        if (length == 0) return Nfs4Status.Inval;
        if (length == ulong.MaxValue) return Nfs4Status.Ok;
        if (ulong.MaxValue - offset < length) return Nfs4Status.Inval;
        end = offset + length;
        return Nfs4Status.Ok;
    }

    private static void WriteDenied(Compound c, in LockDenied conflict)
    {
        XdrWriter w = c.Begin(Nfs4Status.Denied);
        w.WriteUInt64(conflict.Start);
        w.WriteUInt64(conflict.End == ulong.MaxValue ? ulong.MaxValue : conflict.End - conflict.Start);
        w.WriteUInt32(conflict.Write ? Nfs4Const.WriteLt : Nfs4Const.ReadLt);
        w.WriteUInt64(conflict.ClientId);
        w.WriteOpaque(conflict.Owner);
        w.Flush();
    }

    // §18.10 LOCK: a new lock owner comes with its open stateid; an existing one with its lock stateid.
    private Nfs4Status Lock(Compound c)
    {
        XdrReader r = c.Reader();
        uint type = r.ReadUInt32();
        bool reclaim = r.ReadBool();
        ulong offset = r.ReadUInt64();
        ulong length = r.ReadUInt64();
        bool newOwner = r.ReadBool();
        Stateid4 stateid;
        byte[]? lockOwner = null;
        if (newOwner)
        {
            _ = r.ReadUInt32();
            stateid = Stateid4.Read(ref r);
            _ = r.ReadUInt32();
            _ = r.ReadUInt64();
            lockOwner = r.ReadOpaqueArray(Nfs4Const.OpaqueLimit);
        }
        else
        {
            stateid = Stateid4.Read(ref r);
            _ = r.ReadUInt32();
        }
        c.Consumed(r);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return Nfs4Status.IsDir;
        if (type is < Nfs4Const.ReadLt or > Nfs4Const.WritewLt) return Nfs4Status.Inval;
        status = ToRange(offset, length, out ulong start, out ulong end);
        if (status != Nfs4Status.Ok) return status;
        bool write = type is Nfs4Const.WriteLt or Nfs4Const.WritewLt;
        ClientRecord client = c.Client!;
        if (reclaim && !state.MayReclaim(client)) return Nfs4Status.NoGrace;
        if (!reclaim && state.InGrace) return Nfs4Status.Grace;

        status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        status = state.Lock(client, stateid, c.Current.Id, newOwner ? lockOwner : null, start, end, write, out Stateid4 result, out LockDenied denied);
        if (status == Nfs4Status.Denied) WriteDenied(c, denied);
        if (status != Nfs4Status.Ok) return status;
        return c.ReplyWithCurrentStateid(result);
    }

    // §18.11 LOCKT: would this owner's lock conflict?
    private Nfs4Status LockT(Compound c)
    {
        XdrReader r = c.Reader();
        uint type = r.ReadUInt32();
        ulong offset = r.ReadUInt64();
        ulong length = r.ReadUInt64();
        _ = r.ReadUInt64();
        ReadOnlyMemory<byte> owner = r.ReadOpaqueMemory(Nfs4Const.OpaqueLimit);
        c.Consumed(r);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return Nfs4Status.IsDir;
        if (type is < Nfs4Const.ReadLt or > Nfs4Const.WritewLt) return Nfs4Status.Inval;
        status = ToRange(offset, length, out ulong start, out ulong end);
        if (status != Nfs4Status.Ok) return status;
        if (state.InGrace) return Nfs4Status.Grace;
        bool write = type is Nfs4Const.WriteLt or Nfs4Const.WritewLt;
        status = state.TestLock(c.Client!, c.Current.Id, owner.Span, start, end, write, out LockDenied denied);
        if (status == Nfs4Status.Denied) WriteDenied(c, denied);
        return status;
    }

    // §18.12 LOCKU
    private Nfs4Status LockU(Compound c)
    {
        XdrReader r = c.Reader();
        _ = r.ReadUInt32();
        _ = r.ReadUInt32();
        Stateid4 stateid = Stateid4.Read(ref r);
        ulong offset = r.ReadUInt64();
        ulong length = r.ReadUInt64();
        c.Consumed(r);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        status = ToRange(offset, length, out ulong start, out ulong end);
        if (status != Nfs4Status.Ok) return status;
        status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        status = state.Unlock(c.Client!, stateid, c.Current.Id, start, end, out Stateid4 result);
        if (status != Nfs4Status.Ok) return status;
        // LOCKU sets the current stateid like LOCK (§16.2.3.1.2): a next op with "current" gets the new seqid, not OLD_STATEID.
        return c.ReplyWithCurrentStateid(result);
    }

    // §18.38 FREE_STATEID: a lock stateid without locks; an open or a lock stateid with locks is LOCKS_HELD.
    private Nfs4Status FreeStateId(Compound c)
    {
        XdrReader r = c.Reader();
        Stateid4 stateid = Stateid4.Read(ref r);
        c.Consumed(r);
        Nfs4Status status = Resolve(c, ref stateid);
        return status != Nfs4Status.Ok ? status : state.Free(c.Client!, stateid);
    }

    // §18.48 TEST_STATEID: the status each stateid would get.
    private Nfs4Status TestStateId(Compound c)
    {
        XdrReader r = c.Reader();
        int count = r.ReadArrayLength(1024, Stateid4.Size);
        Span<Stateid4> ids = count <= 64 ? stackalloc Stateid4[count] : new Stateid4[count];
        for (int i = 0; i < count; i++) ids[i] = Stateid4.Read(ref r);
        c.Consumed(r);
        Span<Nfs4Status> statuses = count <= 64 ? stackalloc Nfs4Status[count] : new Nfs4Status[count];
        state.Test(c.Client!, ids, statuses);
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteInt32(count);
        foreach (Nfs4Status status in statuses) w.WriteInt32((int)status);
        w.Flush();
        return Nfs4Status.Ok;
    }
}
