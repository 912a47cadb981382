using System.Buffers;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.22 READ, §18.32 WRITE, §18.3 COMMIT.
internal sealed partial class Nfs4Program
{
    /// <summary>The stateid of a READ, WRITE or SETATTR(size), "current" resolved, checked by the state (share denials included).</summary>
    private Nfs4Status CheckIoStateid(Compound c, ref Stateid4 stateid, bool write)
    {
        if (stateid.IsCurrent)
        {
            if (!c.HasCurrentStateid) return Nfs4Status.BadStateId;
            stateid = c.CurrentStateid;
        }
        return state.CheckIo(c.Client!, stateid, c.Current.Id, write);
    }

    // §18.22 READ: into a pooled buffer, then into the reply.
    private async ValueTask<Nfs4Status> ReadAsync(Compound c)
    {
        XdrReader r = c.Reader();
        Stateid4 stateid = Stateid4.Read(ref r);
        ulong offset = r.ReadUInt64();
        uint count = r.ReadUInt32();
        c.Consumed(r);
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok && c.Current.Kind == FhKind.Pseudo) status = Nfs4Status.IsDir;
        if (status == Nfs4Status.Ok) status = CheckIoStateid(c, ref stateid, write: false);
        if (status != Nfs4Status.Ok) return status;
        int length = (int)Math.Min(count, (uint)Options.MaxTransferSize);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            ReadResult result = await Fs.ReadAsync(c.Current.Caller, c.Current.Id, offset, buffer.AsMemory(0, length));
            if (result.Status != FsStatus.Ok) return Map(result.Status);
            WriteReadResult(c, result.Eof, buffer.AsSpan(0, result.Count));
            return Nfs4Status.Ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void WriteReadResult(Compound c, bool eof, ReadOnlySpan<byte> data)
    {
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteBool(eof);
        w.WriteOpaque(data);
        w.Flush();
    }

    // §18.32 WRITE: UNSTABLE lands and returns; DATA_SYNC/FILE_SYNC are durable first. The verifier is v3's.
    private async ValueTask<Nfs4Status> WriteAsync(Compound c)
    {
        XdrReader r = c.Reader();
        Stateid4 stateid = Stateid4.Read(ref r);
        ulong offset = r.ReadUInt64();
        uint stable = r.ReadUInt32();
        ReadOnlySequence<byte> data = r.ReadOpaque();
        c.Consumed(r);
        Nfs4Status status = NeedFh(c, write: true);
        if (status == Nfs4Status.Ok && stable > Nfs4Const.FileSync4) status = Nfs4Status.Inval;
        if (status == Nfs4Status.Ok) status = CheckIoStateid(c, ref stateid, write: true);
        if (status != Nfs4Status.Ok) return status;
        WriteResult result = await Fs.WriteAsync(c.Current.Caller, c.Current.Id, offset, data, (StableHow)stable);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteUInt32((uint)result.Count);
        w.WriteUInt32((uint)result.Committed);
        w.WriteUInt64(Fs.WriteVerifier);
        w.Flush();
        return Nfs4Status.Ok;
    }

    // §18.3 COMMIT
    private async ValueTask<Nfs4Status> CommitAsync(Compound c)
    {
        XdrReader r = c.Reader();
        ulong offset = r.ReadUInt64();
        uint count = r.ReadUInt32();
        c.Consumed(r);
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok && c.Current.Kind == FhKind.Pseudo) status = Nfs4Status.IsDir;
        if (status != Nfs4Status.Ok) return status;
        CommitResult result = await Fs.CommitAsync(c.Current.Id, offset, count);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteUInt64(Fs.WriteVerifier);
        w.Flush();
        return Nfs4Status.Ok;
    }
}
