using System.Buffers;
using DittoFs.Server.Metrics;
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
        Nfs4Status status = BindClient(c, stateid);
        return status != Nfs4Status.Ok ? status : state.CheckIo(c.Client!, stateid, c.Current.Id, write);
    }

    // §18.22 READ: into a pooled buffer, then into the reply.
    private async ValueTask<Nfs4Status> ReadAsync(Compound c)
    {
        (Stateid4 stateid, ulong offset, uint count) = c.Decode<Read4Args>();
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
            metrics?.DataRead(NfsMetrics.Version4(c.Minor), ExportTag(c.Current), result.Count);
            c.ReplyOk(new Read4ResOk { Eof = result.Eof, Data = buffer.AsMemory(0, result.Count) });
            return Nfs4Status.Ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // §18.32 WRITE: UNSTABLE lands and returns; DATA_SYNC/FILE_SYNC are durable first. The verifier is v3's.
    private async ValueTask<Nfs4Status> WriteAsync(Compound c)
    {
        (Stateid4 stateid, ulong offset, uint stable, ReadOnlySequence<byte> data) = c.Decode<Write4Args>();
        Nfs4Status status = NeedFh(c, write: true);
        if (status == Nfs4Status.Ok && stable > Nfs4Const.FileSync4) status = Nfs4Status.Inval;
        if (status == Nfs4Status.Ok) status = CheckIoStateid(c, ref stateid, write: true);
        // With a special stateid no open for writing keeps delegations from being granted meanwhile: a change ticket does.
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok && stateid.IsSpecial) status = BeginChange(c, c.Current, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok) return status;
        WriteResult result = await Fs.WriteAsync(c.Current.Caller, c.Current.Id, offset, data, (StableHow)stable);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        metrics?.DataWritten(NfsMetrics.Version4(c.Minor), ExportTag(c.Current), result.Count);
        return c.ReplyOk(new Write4ResOk { Count = (uint)result.Count, Committed = (uint)result.Committed, WriteVerf = Fs.WriteVerifier });
    }

    // §18.3 COMMIT
    private async ValueTask<Nfs4Status> CommitAsync(Compound c)
    {
        (ulong offset, uint count) = c.Decode<Commit4Args>();
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok && c.Current.Kind == FhKind.Pseudo) status = Nfs4Status.IsDir;
        if (status != Nfs4Status.Ok) return status;
        CommitResult result = await Fs.CommitAsync(c.Current.Id, offset, count);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new Commit4ResOk { WriteVerf = Fs.WriteVerifier });
    }
}
