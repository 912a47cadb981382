using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.5 READLINK: the target as stored; the server never follows it.
    private async ValueTask ReadLinkAsync(RpcCall call)
    {
        if (!call.TryDecode(out ReadLink3Args args)) return;
        Nfs3Status status = Resolve(call, args.Symlink, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new ReadLink3Res { Status = status });
            return;
        }
        ReadLinkResult result = await Fs.ReadLinkAsync(target.Caller, target.Id);
        if (result.Status != FsStatus.Ok)
        {
            // knfsd answers INVAL for READLINK of something that is not a symlink.
            Nfs3Status failure = result.Status == FsStatus.NotSupported ? Nfs3Status.Inval : result.Status.ToNfs3();
            call.ReplySuccess(new ReadLink3Res { Status = failure, ResFail = new ReadLink3ResFail { SymlinkAttributes = Nfs3Mapping.PostOp(result.File) } });
            return;
        }
        call.ReplySuccess(new ReadLink3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new ReadLink3ResOk { SymlinkAttributes = Nfs3Mapping.PostOp(result.File), Data = result.Target },
        });
    }
}
