using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.9 MKDIR
    private async ValueTask MkDirAsync(RpcCall call)
    {
        if (!call.TryDecode(out MkDir3Args args)) return;
        var request = new CreateRequest
        {
            Type = FileType.Directory,
            Mode = CreateMode.Guarded,
            Attributes = Nfs3Mapping.ToSetAttributes(args.Attributes),
        };
        Created created = await CreateObjectAsync(call, args.Where, request);
        call.ReplySuccess(created.Status == Nfs3Status.Ok
            ? new MkDir3Res { Status = Nfs3Status.Ok, ResOk = new MkDir3ResOk { Obj = created.Handle, ObjAttributes = created.Attributes, DirWcc = created.DirWcc } }
            : new MkDir3Res { Status = created.Status, ResFail = new MkDir3ResFail { DirWcc = created.DirWcc } });
    }
}
