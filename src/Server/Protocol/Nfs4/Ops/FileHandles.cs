using DittoFs.Server.Exports;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.15-18.17, §18.19-18.23, §18.27-18.29, §18.45: filehandles and the namespace walk.
internal sealed partial class Nfs4Program
{
    // §18.19 PUTFH
    private Nfs4Status PutFh(Compound c)
    {
        ReadOnlyMemory<byte> handle = c.Decode<PutFh4Args>().Object.Data;
        Nfs4Status status = ResolveHandle(c, handle.Span, out Fh fh);
        if (status == Nfs4Status.Ok) c.Current = fh;
        c.ClearCurrentStateid();
        return status;
    }

    // §18.21 PUTROOTFH (and §18.20 PUTPUBFH: the public filehandle is the root here)
    private Nfs4Status PutRootFh(Compound c)
    {
        c.ClearCurrentStateid();
        if (Pseudo.RootExport is { } export)
        {
            Nfs4Status status = ToExportFh(c, export, export.Root, out Fh fh);
            if (status == Nfs4Status.Ok) c.Current = fh;
            return status;
        }
        c.Current = new Fh { Kind = FhKind.Pseudo, Id = Pseudo.RootId, Caller = c.Call.Caller };
        return Nfs4Status.Ok;
    }

    // §18.8 GETFH
    private Nfs4Status GetFh(Compound c)
    {
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        Span<byte> handle = stackalloc byte[FileHandle.Size];
        FileHandle.Write(c.Current.Id, handle);
        w.WriteOpaque(handle);
        w.Flush();
        return Nfs4Status.Ok;
    }

    // §18.31 SAVEFH
    private static Nfs4Status SaveFh(Compound c)
    {
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        c.Saved = c.Current;
        c.SavedStateid = c.CurrentStateid;
        c.HasSavedStateid = c.HasCurrentStateid;
        return status;
    }

    // §18.27 RESTOREFH
    private static Nfs4Status RestoreFh(Compound c)
    {
        if (c.Saved.IsNone) return Nfs4Status.RestoreFh;
        c.Current = c.Saved;
        c.CurrentStateid = c.SavedStateid;
        c.HasCurrentStateid = c.HasSavedStateid;
        return Nfs4Status.Ok;
    }

    // §18.15 LOOKUP: in the pseudo-fs by name to a pseudo directory or an export's root; in an export through the filesystem.
    private async ValueTask<Nfs4Status> LookupAsync(Compound c)
    {
        ReadOnlyMemory<byte> name = c.Decode<Lookup4Args>().ObjName;
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok) status = CheckName(name.Span);
        if (status != Nfs4Status.Ok) return status;
        c.ClearCurrentStateid();
        if (c.Current.Kind == FhKind.Pseudo)
        {
            PseudoFs.Child? child = Pseudo.Lookup(Pseudo.Find(c.Current.Id.Inode)!, name.Span);
            if (child is null) return Nfs4Status.NoEnt;
            if (child.Directory is { } dir)
            {
                c.Current = c.Current with { Id = new FileId(PseudoFs.Volume, dir.Inode, 0) };
                return Nfs4Status.Ok;
            }
            status = ToExportFh(c, child.Export!, child.Export!.Root, out Fh fh);
            if (status == Nfs4Status.Ok) c.Current = fh;
            return status;
        }
        LookupResult result = await Fs.LookupAsync(c.Current.Caller, c.Current.Id, name);
        if (result.Status != FsStatus.Ok)
        {
            if (result.Status == FsStatus.NotDirectory && result.Directory is { Type: FileType.Symlink }) return Nfs4Status.Symlink;
            return Map(result.Status);
        }
        c.Current.Id = result.File.Id;
        return Nfs4Status.Ok;
    }

    // §18.16 LOOKUPP: from an export's root back into the pseudo-fs; SYMLINK from a symlink, NOTDIR from another non-directory.
    private async ValueTask<Nfs4Status> LookupPAsync(Compound c)
    {
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        c.ClearCurrentStateid();
        if (c.Current.Kind == FhKind.Pseudo)
        {
            PseudoFs.Node node = Pseudo.Find(c.Current.Id.Inode)!;
            if (node.Inode == 1) return Nfs4Status.NoEnt;
            c.Current.Id = new FileId(PseudoFs.Volume, node.Parent, 0);
            return Nfs4Status.Ok;
        }
        Export export = c.Current.Export!;
        if (c.Current.Id == export.Root)
        {
            if (Pseudo.MountPoint(export) is not { } mount) return Nfs4Status.NoEnt;
            c.Current = new Fh { Kind = FhKind.Pseudo, Id = new FileId(PseudoFs.Volume, mount.Parent.Inode, 0), Caller = c.Call.Caller };
            return Nfs4Status.Ok;
        }
        LookupResult result = await Fs.LookupParentAsync(c.Current.Caller, c.Current.Id);
        if (result.Status != FsStatus.Ok)
        {
            if (result.Status == FsStatus.NotDirectory && result.Directory is { Type: FileType.Symlink }) return Nfs4Status.Symlink;
            return Map(result.Status);
        }
        c.Current.Id = result.File.Id;
        return Nfs4Status.Ok;
    }

    private static readonly SecInfo4ResOk s_authSysOnly = new() { Flavors = [new SecInfo4 { Flavor = Nfs4Const.AuthSys }] };

    // §18.29 SECINFO and §18.45 SECINFO_NO_NAME: AUTH_SYS only; both consume the current filehandle.
    // SECINFO_STYLE4_PARENT of a root (the pseudo root, or an export root without a pseudo-fs parent) is NOENT.
    private Nfs4Status SecInfo(Compound c, bool named)
    {
        ReadOnlyMemory<byte> name = default;
        uint style = 0;
        if (named) name = c.Decode<SecInfo4Args>().Name;
        else if ((style = c.Decode<SecInfoNoName4Args>().Style) > Nfs4Const.SecInfoStyleParent) return Nfs4Status.Inval;
        Nfs4Status status = NeedFh(c);
        if (status == Nfs4Status.Ok && named) status = CheckName(name.Span);
        if (status != Nfs4Status.Ok) return status;
        if (style == Nfs4Const.SecInfoStyleParent && IsRoot(c.Current)) return Nfs4Status.NoEnt;
        c.Current = default;
        c.ClearCurrentStateid();
        return c.ReplyOk(s_authSysOnly);
    }

    /// <summary>A filehandle without a parent: the pseudo root, or an export root not mounted in the pseudo-fs.</summary>
    private bool IsRoot(in Fh fh) => fh.Kind == FhKind.Pseudo
        ? Pseudo.Find(fh.Id.Inode)!.Inode == 1
        : fh.Id == fh.Export!.Root && Pseudo.MountPoint(fh.Export) is null;
}
