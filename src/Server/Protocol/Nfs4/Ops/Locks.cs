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
        new Lock4Denied
        {
            Offset = conflict.Start,
            Length = conflict.End == ulong.MaxValue ? ulong.MaxValue : conflict.End - conflict.Start,
            LockType = conflict.Write ? Nfs4Const.WriteLt : Nfs4Const.ReadLt,
            Owner = new StateOwner4 { ClientId = conflict.ClientId, Owner = conflict.Owner },
        }.Encode(ref w);
        w.Flush();
    }

    // §18.10 LOCK: a new lock owner comes with its open stateid; an existing one with its lock stateid.
    private async ValueTask<Nfs4Status> LockAsync(Compound c)
    {
        Lock4Args a = c.Decode<Lock4Args>();
        (uint type, bool reclaim, ulong offset, ulong length, bool newOwner) = (a.LockType, a.Reclaim, a.Offset, a.Length, a.Locker.NewLockOwner);
        // The seqids are unused in 4.1; a new lock owner's clientid is the session's client.
        Stateid4 stateid = newOwner ? a.Locker.OpenOwner.OpenStateid : a.Locker.LockOwner.LockStateid;
        byte[]? lockOwner = newOwner ? a.Locker.OpenOwner.LockOwner.Owner.ToArray() : null;
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return Nfs4Status.IsDir;
        if (type is < Nfs4Const.ReadLt or > Nfs4Const.WritewLt) return Nfs4Status.Inval;
        status = ToRange(offset, length, out ulong start, out ulong end);
        if (status != Nfs4Status.Ok) return status;
        bool write = type is Nfs4Const.WriteLt or Nfs4Const.WritewLt;
        // 4.0: the client comes with the stateid (Resolve), so grace is checked after it and the seqid.
        if (c.Minor != 0 && (status = CheckLockGrace(c.Client!, reclaim)) != Nfs4Status.Ok) return status;

        status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        ClientRecord client = c.Client!;
        SeqOwner? newLockOwner = null;
        if (c.Minor == 0)
        {
            // 4.0: a new lock owner's first LOCK goes by its open owner's seqid, later ones by the lock owner's (RFC 7530 §16.10.5).
            if (newOwner && a.Locker.OpenOwner.LockOwner.ClientId != client.Id) return Nfs4Status.BadStateId;
            status = state.OwnerOf(client, stateid, out SeqOwner? owner);
            if (status != Nfs4Status.Ok) return status;
            if (!BeginSeqid(c, owner!, newOwner ? a.Locker.OpenOwner.OpenSeqid : a.Locker.LockOwner.LockSeqid, open: false, out status)) return status;
            // GRACE moves the seqid on (RFC 7530 §9.1.7 does not except it): checked once the seqid is taken.
            if ((status = CheckLockGrace(client, reclaim)) != Nfs4Status.Ok) return status;
            if (newOwner) newLockOwner = state.LockOwner(client, lockOwner);
        }
        Stateid4 result;
        LockDenied denied;
        if (state.SharedAcrossServers)
        {
            (status, result, denied) = await state.LockAcrossServersAsync(client, stateid, c.Current.Id, newOwner ? lockOwner : null, start, end, write);
        }
        else
        {
            status = state.Lock(client, stateid, c.Current.Id, newOwner ? lockOwner : null, start, end, write, out result, out denied);
        }
        if (status == Nfs4Status.Denied) WriteDenied(c, denied);
        if (status != Nfs4Status.Ok) return status;
        if (newLockOwner is not null) state.StartSeqid(newLockOwner, a.Locker.OpenOwner.LockSeqid);
        return c.ReplyWithCurrentStateid(result);
    }

    /// <summary>A reclaim only in grace (NO_GRACE), and only it (GRACE).</summary>
    private Nfs4Status CheckLockGrace(ClientRecord client, bool reclaim)
    {
        if (reclaim && !state.MayReclaim(client)) return Nfs4Status.NoGrace;
        if (!reclaim && state.InLockGrace) return Nfs4Status.Grace;
        return Nfs4Status.Ok;
    }

    // §18.11 LOCKT: would this owner's lock conflict?
    private async ValueTask<Nfs4Status> LockTAsync(Compound c)
    {
        LockT4Args a = c.Decode<LockT4Args>();
        (uint type, ulong offset, ulong length, ReadOnlyMemory<byte> owner) = (a.LockType, a.Offset, a.Length, a.Owner.Owner);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return Nfs4Status.IsDir;
        if (type is < Nfs4Const.ReadLt or > Nfs4Const.WritewLt) return Nfs4Status.Inval;
        status = ToRange(offset, length, out ulong start, out ulong end);
        if (status != Nfs4Status.Ok) return status;
        if (state.InLockGrace) return Nfs4Status.Grace;
        bool write = type is Nfs4Const.WriteLt or Nfs4Const.WritewLt;
        if (c.Minor == 0)
        {
            // 4.0: the lock owner names its client.
            status = state.Client40(a.Owner.ClientId, out ClientRecord? client);
            if (status != Nfs4Status.Ok) return status;
            c.Client = client;
        }
        LockDenied denied;
        if (state.SharedAcrossServers) (status, denied) = await state.TestLockAcrossServersAsync(c.Client!, c.Current.Id, owner.ToArray(), start, end, write);
        else status = state.TestLock(c.Client!, c.Current.Id, owner.Span, start, end, write, out denied);
        if (status == Nfs4Status.Denied) WriteDenied(c, denied);
        return status;
    }

    // §18.12 LOCKU
    private async ValueTask<Nfs4Status> LockUAsync(Compound c)
    {
        LockU4Args a = c.Decode<LockU4Args>();
        (Stateid4 stateid, ulong offset, ulong length) = (a.LockStateid, a.Offset, a.Length);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        status = ToRange(offset, length, out ulong start, out ulong end);
        if (status != Nfs4Status.Ok) return status;
        status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        if (c.Minor == 0)
        {
            status = state.OwnerOf(c.Client!, stateid, out SeqOwner? owner);
            if (status != Nfs4Status.Ok || !BeginSeqid(c, owner!, a.Seqid, open: false, out status)) return status;
        }
        Stateid4 result = default;
        status = state.SharedAcrossServers
            ? await state.UnlockAcrossServersAsync(c.Client!, stateid, c.Current.Id, start, end, unlocked => result = unlocked)
            : state.Unlock(c.Client!, stateid, c.Current.Id, start, end, out result);
        if (status != Nfs4Status.Ok) return status;
        // LOCKU sets the current stateid like LOCK (§16.2.3.1.2): a next op with "current" gets the new seqid, not OLD_STATEID.
        return c.ReplyWithCurrentStateid(result);
    }

    // §18.38 FREE_STATEID: a lock stateid without locks; an open or a lock stateid with locks is LOCKS_HELD.
    private Nfs4Status FreeStateId(Compound c)
    {
        Stateid4 stateid = c.Decode<FreeStateid4Args>().Stateid;
        Nfs4Status status = Resolve(c, ref stateid);
        return status != Nfs4Status.Ok ? status : state.Free(c.Client!, stateid);
    }

    // §18.48 TEST_STATEID: the status each stateid would get.
    private Nfs4Status TestStateId(Compound c)
    {
        Stateid4[] ids = c.Decode<TestStateid4Args>().Stateids;
        var statuses = new Nfs4Status[ids.Length];
        state.Test(c.Client!, ids, statuses);
        return c.ReplyOk(new TestStateid4ResOk { StatusCodes = statuses });
    }
}
