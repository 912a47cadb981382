using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.21 COMMIT: everything written to the file is durable before the reply (group commit below).
    private async ValueTask CommitAsync(RpcCall call)
    {
        if (!call.TryDecode(out Commit3Args args)) return;
        Nfs3Status status = Resolve(call, args.File, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Commit3Res { Status = status });
            return;
        }
        CommitResult result = await Fs.CommitAsync(target.Id, args.Offset, args.Count);
        WccData wcc = Nfs3Mapping.ToWcc(result.File);
        call.ReplySuccess(result.Status == FsStatus.Ok
            ? new Commit3Res { Status = Nfs3Status.Ok, ResOk = new Commit3ResOk { FileWcc = wcc, Verf = Fs.WriteVerifier } }
            : new Commit3Res { Status = result.Status.ToNfs3(), ResFail = new Commit3ResFail { FileWcc = wcc } });
    }
}
