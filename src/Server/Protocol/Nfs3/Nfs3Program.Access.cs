using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.4 ACCESS: the subset of the asked rights the caller has (a read-only export never grants changes).
    private async ValueTask AccessAsync(RpcCall call)
    {
        if (!call.TryDecode(out Access3Args args)) return;
        Nfs3Status status = Resolve(call, args.Object, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Access3Res { Status = status });
            return;
        }
        var requested = (AccessMask)(args.Access & (uint)AccessMask.All);
        AccessResult result = await Fs.AccessAsync(target.Caller, target.Id, requested);
        if (result.Status != FsStatus.Ok)
        {
            call.ReplySuccess(new Access3Res { Status = result.Status.ToNfs3(), ResFail = new Access3ResFail { ObjAttributes = Nfs3Mapping.PostOp(result.File) } });
            return;
        }
        AccessMask granted = result.Granted & requested;
        if (target.Export.ReadOnly) granted &= ~(AccessMask.Modify | AccessMask.Extend | AccessMask.Delete);
        call.ReplySuccess(new Access3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new Access3ResOk { ObjAttributes = Nfs3Mapping.PostOp(result.File), Access = (uint)granted },
        });
    }
}
