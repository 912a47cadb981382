using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.15 LINK: a new name for an existing non-directory, in the same export.
    private async ValueTask LinkAsync(RpcCall call)
    {
        if (!call.TryDecode(out Link3Args args)) return;
        Nfs3Status status = Resolve(call, args.File, out Target file);
        Target dir = default;
        if (status == Nfs3Status.Ok) status = Resolve(call, args.Link.Dir, out dir);
        if (status == Nfs3Status.Ok && file.Export != dir.Export) status = Nfs3Status.XDev;
        if (status == Nfs3Status.Ok) status = CheckName(args.Link.Name.Span);
        if (status == Nfs3Status.Ok && IsDotOrDotDot(args.Link.Name.Span)) status = Nfs3Status.Exist;
        ChangeTicket ticket = default;
        if (status == Nfs3Status.Ok) status = BeginChange(file.Id, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Link3Res { Status = status });
            return;
        }
        LinkResult result = await Fs.LinkAsync(dir.Caller, file.Id, dir.Id, args.Link.Name);
        PostOpAttr attributes = Nfs3Mapping.PostOp(result.File);
        WccData wcc = Nfs3Mapping.ToWcc(result.Directory);
        call.ReplySuccess(result.Status == FsStatus.Ok
            ? new Link3Res { Status = Nfs3Status.Ok, ResOk = new Link3ResOk { FileAttributes = attributes, LinkDirWcc = wcc } }
            : new Link3Res { Status = result.Status.ToNfs3(), ResFail = new Link3ResFail { FileAttributes = attributes, LinkDirWcc = wcc } });
    }
}
