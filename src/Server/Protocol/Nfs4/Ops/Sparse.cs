using System.Buffers;
using DittoFs.Server.Metrics;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 7862 §15.1 ALLOCATE, §15.4 DEALLOCATE, §15.10 READ_PLUS, §15.11 SEEK: sparse files, answered from the block map.
internal sealed partial class Nfs4Program
{
    // §15.1 ALLOCATE / §15.4 DEALLOCATE: a stateid as WRITE's; the size grows (ALLOCATE) or stays (DEALLOCATE).
    private async ValueTask<Nfs4Status> AllocateAsync(Compound c, bool deallocate)
    {
        Allocate4Args a = c.Decode<Allocate4Args>();
        Stateid4 stateid = a.Stateid;
        Nfs4Status status = NeedFh(c, write: true);
        if (status == Nfs4Status.Ok) status = CheckIoStateid(c, ref stateid, write: true);
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok && stateid.IsSpecial) status = BeginChange(c, c.Current, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok) return status;
        SetAttrResult result = deallocate
            ? await Fs.DeallocateAsync(c.Current.Caller, c.Current.Id, a.Offset, a.Length)
            : await Fs.AllocateAsync(c.Current.Caller, c.Current.Id, a.Offset, a.Length);
        return Map(result.Status);
    }

    // §15.11 SEEK: knfsd's answers — ENXIO (NXIO) at or past the end or with no data after the offset; the end is a hole.
    private async ValueTask<Nfs4Status> SeekAsync(Compound c)
    {
        Seek4Args a = c.Decode<Seek4Args>();
        Stateid4 stateid = a.Stateid;
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok && c.Current.Kind == FhKind.Pseudo) status = Nfs4Status.IsDir;
        if (status == Nfs4Status.Ok && a.What is not (Nfs4Const.ContentData or Nfs4Const.ContentHole)) status = Nfs4Status.UnionNotSupp;
        if (status == Nfs4Status.Ok) status = CheckIoStateid(c, ref stateid, write: false);
        if (status != Nfs4Status.Ok) return status;
        SeekResult result = await Fs.SeekAsync(c.Current.Caller, c.Current.Id, a.Offset, data: a.What == Nfs4Const.ContentData);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new Seek4ResOk { Eof = result.Eof, Offset = result.Offset });
    }

    /// <summary>
    /// §15.10 READ_PLUS: READ's bytes as data and hole segments from the block map (a hole costs 16 bytes on the
    /// wire instead of its length in zeros).
    /// <code>
    /// READ_PLUS4resok: bool rpr_eof | read_plus_content rpr_contents&lt;&gt;
    /// read_plus_content: data_content4 (0 DATA: offset4 d_offset | opaque d_data&lt;&gt;; 1 HOLE: offset4 di_offset | length4 di_length)
    /// </code>
    /// </summary>
    private async ValueTask<Nfs4Status> ReadPlusAsync(Compound c)
    {
        ReadPlus4Args a = c.Decode<ReadPlus4Args>();
        (Stateid4 stateid, ulong offset, uint count) = (a.Stateid, a.Offset, a.Count);
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok && c.Current.Kind == FhKind.Pseudo) status = Nfs4Status.IsDir;
        if (status == Nfs4Status.Ok) status = CheckIoStateid(c, ref stateid, write: false);
        if (status != Nfs4Status.Ok) return status;
        int length = (int)Math.Min(count, (uint)Options.MaxTransferSize);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            ReadResult read = await Fs.ReadAsync(c.Current.Caller, c.Current.Id, offset, buffer.AsMemory(0, length));
            if (read.Status != FsStatus.Ok) return Map(read.Status);
            IReadOnlyList<(ulong Offset, ulong Length)> data = [];
            if (read.Count > 0)
            {
                DataRangesResult ranges = await Fs.GetDataRangesAsync(c.Current.Caller, c.Current.Id, offset, (ulong)read.Count);
                if (ranges.Status != FsStatus.Ok) return Map(ranges.Status);
                data = ranges.Data;
            }
            metrics?.DataRead(NfsMetrics.Version41, ExportTag(c.Current), read.Count);
            WriteReadPlus(c, read.Eof, offset, buffer.AsSpan(0, read.Count), data);
            return Nfs4Status.Ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The segments of [offset, offset + bytes.Length): the data ranges with their bytes, holes between them.</summary>
    private static void WriteReadPlus(Compound c, bool eof, ulong offset, ReadOnlySpan<byte> bytes, IReadOnlyList<(ulong Offset, ulong Length)> data)
    {
        ulong end = offset + (ulong)bytes.Length;
        int segments = 0;
        ulong at = offset;
        foreach ((ulong start, ulong length) in data)
        {
            if (start > at) segments++;
            segments++;
            at = start + length;
        }
        if (at < end) segments++;

        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteBool(eof);
        w.WriteInt32(segments);
        at = offset;
        foreach ((ulong start, ulong length) in data)
        {
            if (start > at) WriteHole(ref w, at, start - at);
            w.WriteUInt32(Nfs4Const.ContentData);
            w.WriteUInt64(start);
            w.WriteOpaque(bytes.Slice((int)(start - offset), (int)length));
            at = start + length;
        }
        if (at < end) WriteHole(ref w, at, end - at);
        w.Flush();

        static void WriteHole(ref XdrWriter w, ulong start, ulong length)
        {
            w.WriteUInt32(Nfs4Const.ContentHole);
            w.WriteUInt64(start);
            w.WriteUInt64(length);
        }
    }
}
