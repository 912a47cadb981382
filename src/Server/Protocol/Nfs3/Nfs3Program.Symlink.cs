using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.10 SYMLINK: the target is stored as given, never interpreted by the server.
    private async ValueTask SymlinkAsync(RpcCall call)
    {
        if (!call.TryDecode(out Symlink3Args args)) return;
        Created created;
        if (args.Symlink.SymlinkData.Length is 0 or > FsLimits.MaxPathLength)
        {
            Nfs3Status status = args.Symlink.SymlinkData.Length == 0 ? Nfs3Status.Inval : Nfs3Status.NameTooLong;
            created = new Created(status, default, default, default);
        }
        else
        {
            var request = new CreateRequest
            {
                Type = FileType.Symlink,
                Mode = CreateMode.Guarded,
                Attributes = Nfs3Mapping.ToSetAttributes(args.Symlink.SymlinkAttributes),
                LinkTarget = args.Symlink.SymlinkData,
            };
            created = await CreateObjectAsync(call, args.Where, request);
        }
        call.ReplySuccess(created.Status == Nfs3Status.Ok
            ? new Symlink3Res { Status = Nfs3Status.Ok, ResOk = new Symlink3ResOk { Obj = created.Handle, ObjAttributes = created.Attributes, DirWcc = created.DirWcc } }
            : new Symlink3Res { Status = created.Status, ResFail = new Symlink3ResFail { DirWcc = created.DirWcc } });
    }
}
