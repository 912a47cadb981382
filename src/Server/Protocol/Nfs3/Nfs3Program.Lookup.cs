using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.3 LOOKUP: "." is the directory, ".." its parent; at an export's root ".." is the root itself.
    private async ValueTask LookupAsync(RpcCall call)
    {
        if (!call.TryDecode(out Lookup3Args args)) return;
        Nfs3Status status = Resolve(call, args.What.Dir, out Target target);
        if (status == Nfs3Status.Ok) status = CheckName(args.What.Name.Span);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new Lookup3Res { Status = status });
            return;
        }
        ReadOnlySpan<byte> name = args.What.Name.Span;
        // Each export is a volume whose root is its own parent, so ".." never leaves the export.
        LookupResult result = name.SequenceEqual(".."u8)
            ? await Fs.LookupParentAsync(target.Caller, target.Id)
            : await Fs.LookupAsync(target.Caller, target.Id, args.What.Name);
        if (result.Status == FsStatus.Ok)
        {
            call.ReplySuccess(new Lookup3Res
            {
                Status = Nfs3Status.Ok,
                ResOk = new Lookup3ResOk
                {
                    Object = new NfsFh3 { Data = FileHandle.ToArray(result.File.Id) },
                    ObjAttributes = Nfs3Mapping.PostOp(result.File),
                    DirAttributes = Nfs3Mapping.PostOp(result.Directory),
                },
            });
            return;
        }
        call.ReplySuccess(new Lookup3Res { Status = result.Status.ToNfs3(), ResFail = new Lookup3ResFail { DirAttributes = Nfs3Mapping.PostOp(result.Directory) } });
    }
}
