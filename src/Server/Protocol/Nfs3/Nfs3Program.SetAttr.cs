using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.2 SETATTR: guarded by the object's ctime when the client asks.
    private async ValueTask SetAttrAsync(RpcCall call)
    {
        if (!call.TryDecode(out SetAttr3Args args)) return;
        Nfs3Status status = Resolve(call, args.Object, out Target target);
        ChangeTicket ticket = default;
        if (status == Nfs3Status.Ok) status = BeginChange(target.Id, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new SetAttr3Res { Status = status });
            return;
        }
        Timestamp? guard = args.Guard.Check ? Nfs3Mapping.FromTime(args.Guard.ObjCtime) : null;
        SetAttrResult result = await Fs.SetAttributesAsync(target.Caller, target.Id, Nfs3Mapping.ToSetAttributes(args.NewAttributes), guard);
        WccData wcc = Nfs3Mapping.ToWcc(result.File);
        call.ReplySuccess(result.Status == FsStatus.Ok
            ? new SetAttr3Res { Status = Nfs3Status.Ok, ResOk = new SetAttr3ResOk { ObjWcc = wcc } }
            : new SetAttr3Res { Status = result.Status.ToNfs3(), ResFail = new SetAttr3ResFail { ObjWcc = wcc } });
    }
}
