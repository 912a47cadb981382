using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.14 RENAME: POSIX rename(2) semantics; across exports is XDEV.
    private async ValueTask RenameAsync(RpcCall call)
    {
        if (!call.TryDecode(out Rename3Args args)) return;
        Nfs3Status status = Resolve(call, args.From.Dir, out Target from);
        Target to = default;
        if (status == Nfs3Status.Ok) status = Resolve(call, args.To.Dir, out to);
        if (status == Nfs3Status.Ok && from.Export != to.Export) status = Nfs3Status.XDev;
        if (status == Nfs3Status.Ok) status = CheckName(args.From.Name.Span);
        if (status == Nfs3Status.Ok) status = CheckName(args.To.Name.Span);
        if (status == Nfs3Status.Ok && (IsDotOrDotDot(args.From.Name.Span) || IsDotOrDotDot(args.To.Name.Span))) status = Nfs3Status.Inval;
        ChangeTicket source = default, target = default;
        if (status == Nfs3Status.Ok) (status, source) = await BeginChangeOfNameAsync(from, args.From.Name);
        using ChangeTicket sourceChange = source;
        if (status == Nfs3Status.Ok) (status, target) = await BeginChangeOfNameAsync(to, args.To.Name);
        using ChangeTicket targetChange = target;
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Rename3Res { Status = status });
            return;
        }
        RenameResult result = await Fs.RenameAsync(from.Caller, from.Id, args.From.Name, to.Id, args.To.Name);
        WccData fromWcc = Nfs3Mapping.ToWcc(result.FromDirectory);
        WccData toWcc = Nfs3Mapping.ToWcc(result.ToDirectory);
        call.ReplySuccess(result.Status == FsStatus.Ok
            ? new Rename3Res { Status = Nfs3Status.Ok, ResOk = new Rename3ResOk { FromDirWcc = fromWcc, ToDirWcc = toWcc } }
            : new Rename3Res { Status = result.Status.ToNfs3(), ResFail = new Rename3ResFail { FromDirWcc = fromWcc, ToDirWcc = toWcc } });
    }
}
