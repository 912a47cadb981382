using DittoFs.Server.Buffers;
using DittoFs.Server.Metrics;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.6 READ: at most the export's transfer size, into a pooled buffer that is encoded then returned.
    private async ValueTask ReadAsync(RpcCall call)
    {
        if (!call.TryDecode(out Read3Args args)) return;
        Nfs3Status status = Resolve(call, args.File, out Target target);
        if (status == Nfs3Status.Ok) status = BeginRead(target.Id);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Read3Res { Status = status });
            return;
        }
        int count = (int)Math.Min(args.Count, (uint)Options.MaxTransferSize);
        byte[] buffer = BufferPool.Rent(Math.Max(count, 1)); // large ones go back to a pool that trims
        try
        {
            ReadResult result = await Fs.ReadAsync(target.Caller, target.Id, args.Offset, buffer.AsMemory(0, count));
            if (result.Status != FsStatus.Ok)
            {
                call.ReplySuccess(new Read3Res { Status = result.Status.ToNfs3(), ResFail = new Read3ResFail { FileAttributes = Nfs3Mapping.PostOp(result.File) } });
                return;
            }
            metrics?.DataRead(NfsMetrics.Version3, target.Export.MetricTag, result.Count);
            call.ReplySuccess(new Read3Res
            {
                Status = Nfs3Status.Ok,
                ResOk = new Read3ResOk
                {
                    FileAttributes = Nfs3Mapping.PostOp(result.File),
                    Count = (uint)result.Count,
                    Eof = result.Eof,
                    Data = buffer.AsMemory(0, result.Count),
                },
            });
        }
        finally
        {
            BufferPool.Return(buffer);
        }
    }
}
