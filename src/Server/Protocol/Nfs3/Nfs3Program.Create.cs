using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.8 CREATE: UNCHECKED, GUARDED (EXIST if the name is taken) or EXCLUSIVE (the verifier makes a retry succeed).
    private async ValueTask CreateAsync(RpcCall call)
    {
        if (!call.TryDecode(out Create3Args args)) return;
        var request = args.How.Mode == CreateMode3.Exclusive
            ? new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Exclusive, Verifier = args.How.Verf }
            : new CreateRequest
            {
                Type = FileType.Regular,
                Mode = args.How.Mode == CreateMode3.Guarded ? CreateMode.Guarded : CreateMode.Unchecked,
                Attributes = Nfs3Mapping.ToSetAttributes(args.How.ObjAttributes),
            };
        Created created = await CreateObjectAsync(call, args.Where, request);
        call.ReplySuccess(created.Status == Nfs3Status.Ok
            ? new Create3Res { Status = Nfs3Status.Ok, ResOk = new Create3ResOk { Obj = created.Handle, ObjAttributes = created.Attributes, DirWcc = created.DirWcc } }
            : new Create3Res { Status = created.Status, ResFail = new Create3ResFail { DirWcc = created.DirWcc } });
    }
}
