using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    /// <summary>What CREATE, MKDIR, SYMLINK and MKNOD all answer: the new handle and attributes, and the directory's wcc.</summary>
    private readonly record struct Created(Nfs3Status Status, PostOpFh3 Handle, PostOpAttr Attributes, WccData DirWcc);

    /// <summary>Resolves the directory, checks the name ("." and ".." exist already: EXIST, as knfsd), and creates.</summary>
    private async ValueTask<Created> CreateObjectAsync(RpcCall call, DirOpArgs3 where, CreateRequest request)
    {
        Nfs3Status status = Resolve(call, where.Dir, out Target target);
        if (status == Nfs3Status.Ok) status = CheckName(where.Name.Span);
        if (status == Nfs3Status.Ok && IsDotOrDotDot(where.Name.Span)) status = Nfs3Status.Exist;
        if (status != Nfs3Status.Ok) return new Created(status, default, default, default);

        CreateResult result = await Fs.CreateAsync(target.Caller, target.Id, where.Name, request);
        WccData wcc = Nfs3Mapping.ToWcc(result.Directory);
        return result.Status == FsStatus.Ok
            ? new Created(Nfs3Status.Ok, Nfs3Mapping.Handle(result.File.Id), Nfs3Mapping.PostOp(result.File), wcc)
            : new Created(result.Status.ToNfs3(), default, default, wcc);
    }
}
