using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.1 GETATTR
    private async ValueTask GetAttrAsync(RpcCall call)
    {
        if (!call.TryDecode(out GetAttr3Args args)) return;
        Nfs3Status status = Resolve(call, args.Object, out Target target);
        if (status == Nfs3Status.Ok)
        {
            // fattr3.used from the blocks that hold data: GETATTR is what stat(2) and du ask.
            FsResult<FileAttributes> result = await Fs.GetAttributesAsync(target.Id, countSpace: true);
            if (result.Ok)
            {
                call.ReplySuccess(new GetAttr3Res { Status = Nfs3Status.Ok, ResOk = new GetAttr3ResOk { ObjAttributes = Nfs3Mapping.ToFAttr3(result.Value) } });
                return;
            }
            status = result.Status.ToNfs3();
        }
        call.ReplySuccess(new GetAttr3Res { Status = status });
    }
}
