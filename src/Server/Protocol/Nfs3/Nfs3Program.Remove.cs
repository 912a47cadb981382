using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.12 REMOVE
    private ValueTask RemoveAsync(RpcCall call) => RemoveEntryAsync(call, directoryOnly: false);

    // RFC 1813 §3.3.13 RMDIR
    private ValueTask RmDirAsync(RpcCall call) => RemoveEntryAsync(call, directoryOnly: true);

    /// <summary>REMOVE and RMDIR share their wire types; "." and ".." cannot be removed (RMDIR: INVAL, REMOVE: ACCES, as knfsd).</summary>
    private async ValueTask RemoveEntryAsync(RpcCall call, bool directoryOnly)
    {
        if (!call.TryDecode(out Remove3Args args)) return;
        Nfs3Status status = Resolve(call, args.Object.Dir, out Target target);
        if (status == Nfs3Status.Ok) status = CheckName(args.Object.Name.Span);
        if (status == Nfs3Status.Ok && IsDotOrDotDot(args.Object.Name.Span)) status = directoryOnly ? Nfs3Status.Inval : Nfs3Status.Acces;
        ChangeTicket ticket = default;
        if (status == Nfs3Status.Ok && !directoryOnly) (status, ticket) = await BeginChangeOfNameAsync(target, args.Object.Name);
        using ChangeTicket change = ticket;
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Remove3Res { Status = status });
            return;
        }
        RemoveResult result = await Fs.RemoveAsync(target.Caller, target.Id, args.Object.Name, directoryOnly);
        WccData wcc = Nfs3Mapping.ToWcc(result.Directory);
        call.ReplySuccess(result.Status == FsStatus.Ok
            ? new Remove3Res { Status = Nfs3Status.Ok, ResOk = new Remove3ResOk { DirWcc = wcc } }
            : new Remove3Res { Status = result.Status.ToNfs3(), ResFail = new Remove3ResFail { DirWcc = wcc } });
    }
}
