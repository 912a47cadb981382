using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.11 MKNOD: devices, sockets and fifos; any other type is BADTYPE.
    private async ValueTask MkNodAsync(RpcCall call)
    {
        if (!call.TryDecode(out MkNod3Args args)) return;
        Created created;
        switch (args.What.Type)
        {
            case Ftype3.Chr or Ftype3.Blk:
                created = await CreateObjectAsync(call, args.Where, new CreateRequest
                {
                    Type = (FileType)args.What.Type,
                    Mode = CreateMode.Guarded,
                    Attributes = Nfs3Mapping.ToSetAttributes(args.What.Device.DevAttributes),
                    RdevMajor = args.What.Device.Spec.SpecData1,
                    RdevMinor = args.What.Device.Spec.SpecData2,
                });
                break;
            case Ftype3.Sock or Ftype3.Fifo:
                created = await CreateObjectAsync(call, args.Where, new CreateRequest
                {
                    Type = (FileType)args.What.Type,
                    Mode = CreateMode.Guarded,
                    Attributes = Nfs3Mapping.ToSetAttributes(args.What.PipeAttributes),
                });
                break;
            default:
                created = new Created(Nfs3Status.BadType, default, default, default);
                break;
        }
        call.ReplySuccess(created.Status == Nfs3Status.Ok
            ? new MkNod3Res { Status = Nfs3Status.Ok, ResOk = new MkNod3ResOk { Obj = created.Handle, ObjAttributes = created.Attributes, DirWcc = created.DirWcc } }
            : new MkNod3Res { Status = created.Status, ResFail = new MkNod3ResFail { DirWcc = created.DirWcc } });
    }
}
