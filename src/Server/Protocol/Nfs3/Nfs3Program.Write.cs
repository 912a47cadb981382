using System.Buffers;
using DittoFs.Server.Metrics;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.7 WRITE: UNSTABLE lands in the store and returns; DATA_SYNC/FILE_SYNC are durable before the reply.
    private async ValueTask WriteAsync(RpcCall call)
    {
        if (!call.TryDecode(out Write3Args args)) return;
        Nfs3Status status = Resolve(call, args.File, out Target target);
        if (status == Nfs3Status.Ok && args.Count > args.Data.Length) status = Nfs3Status.Inval; // count must match the data sent
        if (status == Nfs3Status.Ok && args.Stable is < Nfs3.StableHow.Unstable or > Nfs3.StableHow.FileSync) status = Nfs3Status.Inval;
        ChangeTicket ticket = default;
        if (status == Nfs3Status.Ok) status = BeginChange(target.Id, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Write3Res { Status = status });
            return;
        }
        ReadOnlySequence<byte> data = args.Data.Slice(0, args.Count);
        WriteResult result = await Fs.WriteAsync(target.Caller, target.Id, args.Offset, data, (Storage.StableHow)args.Stable);
        WccData wcc = Nfs3Mapping.ToWcc(result.File);
        if (result.Status != FsStatus.Ok)
        {
            call.ReplySuccess(new Write3Res { Status = result.Status.ToNfs3(), ResFail = new Write3ResFail { FileWcc = wcc } });
            return;
        }
        metrics?.DataWritten(NfsMetrics.Version3, target.Export.MetricTag, result.Count);
        call.ReplySuccess(new Write3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new Write3ResOk
            {
                FileWcc = wcc,
                Count = (uint)result.Count,
                Committed = (Nfs3.StableHow)result.Committed,
                Verf = Fs.WriteVerifier,
            },
        });
    }
}
