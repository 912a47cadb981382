using System.Buffers;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.4 CREATE, §18.9 LINK, §18.25 REMOVE, §18.26 RENAME, §18.24 READLINK, §18.23 READDIR.
internal sealed partial class Nfs4Program
{
    // §18.4 CREATE: directories, symlinks, devices, sockets and fifos (regular files come from OPEN: BADTYPE).
    private async ValueTask<Nfs4Status> CreateAsync(Compound c)
    {
        Create4Args a = c.Decode<Create4Args>();
        uint type = a.ObjType.Type;
        (ReadOnlyMemory<byte> target, uint major, uint minor) = (a.ObjType.LinkData, a.ObjType.DevData.SpecData1, a.ObjType.DevData.SpecData2);
        if (type is not (Nfs4Const.Nf4Lnk or Nfs4Const.Nf4Blk or Nfs4Const.Nf4Chr or Nfs4Const.Nf4Sock or Nfs4Const.Nf4Fifo or Nfs4Const.Nf4Dir)) return Nfs4Status.BadType;
        ReadOnlyMemory<byte> name = a.ObjName;
        Nfs4Status status = ReadAttributes(c, a.CreateAttrs, out SetAttributes attributes, out Bitmap4 mask);
        if (status == Nfs4Status.Ok) status = NeedFh(c, write: true);
        if (status == Nfs4Status.Ok) status = CheckName(name.Span);
        if (status == Nfs4Status.Ok && type == Nfs4Const.Nf4Lnk && target.Length == 0) status = Nfs4Status.Inval;
        if (status != Nfs4Status.Ok) return status;

        FileType fileType = type switch
        {
            Nfs4Const.Nf4Lnk => FileType.Symlink,
            Nfs4Const.Nf4Blk => FileType.BlockDevice,
            Nfs4Const.Nf4Chr => FileType.CharDevice,
            Nfs4Const.Nf4Sock => FileType.Socket,
            Nfs4Const.Nf4Fifo => FileType.Fifo,
            _ => FileType.Directory,
        };
        var request = new CreateRequest
        {
            Type = fileType,
            Mode = CreateMode.Guarded,
            Attributes = attributes with { Size = null },
            LinkTarget = target,
            RdevMajor = major,
            RdevMinor = minor,
        };
        CreateResult result = await Fs.CreateAsync(c.Current.Caller, c.Current.Id, name, request);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        // Owner and group of a non-root creator stay the creator's: set them as a SETATTR would.
        if ((attributes.Uid is not null || attributes.Gid is not null) && !c.Current.Caller.IsRoot)
        {
            _ = await Fs.SetAttributesAsync(c.Current.Caller, result.File.Id, new SetAttributes { Uid = attributes.Uid, Gid = attributes.Gid });
        }
        c.Current.Id = result.File.Id;
        c.ClearCurrentStateid();
        mask.W0 &= ~(1u << Attr.Size);
        return c.ReplyOk(new Create4ResOk { CInfo = ChangeInfo(result.Directory), Attrset = mask });
    }

    // §18.9 LINK: saved filehandle = the file, current = the directory.
    private async ValueTask<Nfs4Status> LinkAsync(Compound c)
    {
        ReadOnlyMemory<byte> name = c.Decode<Link4Args>().NewName;
        Nfs4Status status = c.Saved.IsNone ? Nfs4Status.NoFileHandle : NeedFh(c, write: true);
        if (status == Nfs4Status.Ok && (c.Saved.Kind != FhKind.File || c.Saved.Export != c.Current.Export)) status = Nfs4Status.XDev;
        if (status == Nfs4Status.Ok) status = CheckName(name.Span);
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok) status = BeginChange(c, c.Saved, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok) return status;
        LinkResult result = await Fs.LinkAsync(c.Current.Caller, c.Saved.Id, c.Current.Id, name);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new ChangeInfo4ResOk { CInfo = ChangeInfo(result.Directory) });
    }

    // §18.25 REMOVE: files and empty directories alike.
    private async ValueTask<Nfs4Status> RemoveAsync(Compound c)
    {
        ReadOnlyMemory<byte> name = c.Decode<Remove4Args>().Target;
        Nfs4Status status = NeedFh(c, write: true);
        if (status == Nfs4Status.Ok) status = CheckName(name.Span);
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok) (status, ticket) = await BeginChangeOfNameAsync(c, c.Current, name);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok) return status;
        RemoveResult result = await Fs.RemoveAsync(c.Current.Caller, c.Current.Id, name, directoryOnly: false);
        if (result.Status == FsStatus.IsDirectory) result = await Fs.RemoveAsync(c.Current.Caller, c.Current.Id, name, directoryOnly: true);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new ChangeInfo4ResOk { CInfo = ChangeInfo(result.Directory) });
    }

    // §18.26 RENAME: saved filehandle = source directory, current = target directory.
    private async ValueTask<Nfs4Status> RenameAsync(Compound c)
    {
        (ReadOnlyMemory<byte> oldName, ReadOnlyMemory<byte> newName) = c.Decode<Rename4Args>();
        Nfs4Status status = c.Saved.IsNone ? Nfs4Status.NoFileHandle : NeedFh(c, write: true);
        if (status == Nfs4Status.Ok && (c.Saved.Kind != FhKind.File || c.Saved.Export != c.Current.Export)) status = Nfs4Status.XDev;
        if (status == Nfs4Status.Ok) status = CheckName(oldName.Span);
        if (status == Nfs4Status.Ok) status = CheckName(newName.Span);
        ChangeTicket source = default, target = default;
        if (status == Nfs4Status.Ok) (status, source) = await BeginChangeOfNameAsync(c, c.Saved, oldName);
        using ChangeTicket sourceChange = source;
        if (status == Nfs4Status.Ok) (status, target) = await BeginChangeOfNameAsync(c, c.Current, newName);
        using ChangeTicket targetChange = target;
        if (status != Nfs4Status.Ok) return status;
        RenameResult result = await Fs.RenameAsync(c.Current.Caller, c.Saved.Id, oldName, c.Current.Id, newName);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new Rename4ResOk { SourceCInfo = ChangeInfo(result.FromDirectory), TargetCInfo = ChangeInfo(result.ToDirectory) });
    }

    // §18.24 READLINK
    private async ValueTask<Nfs4Status> ReadLinkAsync(Compound c)
    {
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return Nfs4Status.Inval;
        ReadLinkResult result = await Fs.ReadLinkAsync(c.Current.Caller, c.Current.Id);
        if (result.Status == FsStatus.NotSupported) return Nfs4Status.Inval;
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new ReadLink4ResOk { Link = result.Target });
    }

    /// <summary>One entry to list: its cookie, name and attributes.</summary>
    private readonly record struct Listed4(ulong Cookie, byte[] Name, AttrSource Source);

    // §18.23 READDIR: no "." or ".." (cookies 1 and 2 are reserved); as many entries as fit in maxcount, names within dircount.
    private async ValueTask<Nfs4Status> ReadDirAsync(Compound c)
    {
        (ulong cookie, ulong verifier, uint dirCount, uint maxCount, Bitmap4 requested) = c.Decode<ReadDir4Args>();
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (cookie is 1 or 2) return Nfs4Status.BadCookie;
        int budget = (int)Math.Min(maxCount, (uint)Options.MaxTransferSize) - 24;
        if (budget < 32) return Nfs4Status.TooSmall;

        var listed = new List<Listed4>();
        bool eof;
        ulong newVerifier;
        if (c.Current.Kind == FhKind.Pseudo)
        {
            PseudoFs.Node node = Pseudo.Find(c.Current.Id.Inode)!;
            newVerifier = 1;
            for (int i = 0; i < node.Children.Count; i++)
            {
                ulong childCookie = (ulong)i + 3;
                if (childCookie <= cookie) continue;
                PseudoFs.Child child = node.Children[i];
                Fh childFh = child.Directory is { } dir
                    ? new Fh { Kind = FhKind.Pseudo, Id = new FileId(PseudoFs.Volume, dir.Inode, 0) }
                    : new Fh { Kind = FhKind.File, Id = child.Export!.Root, Export = child.Export };
                var (attrStatus, source) = await AttrSourceAsync(childFh, requested, c.Minor);
                if (attrStatus != Nfs4Status.Ok) continue;
                listed.Add(new Listed4(childCookie, child.Name, source));
            }
            eof = true;
        }
        else
        {
            int wanted = Math.Clamp(budget / 64, 1, 1024);
            ReadDirResult result = await Fs.ReadDirectoryAsync(c.Current.Caller, c.Current.Id, cookie, cookie == 0 ? 0 : verifier, wanted);
            if (result.Status != FsStatus.Ok) return Map(result.Status);
            newVerifier = result.Verifier;
            eof = result.Eof;
            foreach (DirEntry e in result.Entries)
            {
                var entryFh = new Fh { Kind = FhKind.File, Id = e.File, Export = c.Current.Export };
                var (attrStatus, source) = await AttrSourceAsync(entryFh, requested, c.Minor);
                if (attrStatus != Nfs4Status.Ok) continue; // removed meanwhile
                listed.Add(new Listed4(e.Cookie, e.Name, source));
            }
        }
        // dircount is unsigned (0 is "no limit"): clamped to our limit, never cast into a negative int.
        return WriteReadDir(c, requested, newVerifier, listed, eof, budget, (int)Math.Min(dirCount, (uint)Options.MaxTransferSize));
    }

    private static int Padded(int length) => (length + 3) & ~3;

    /// <summary>
    /// READDIR4resok: verifier, then entry4 after entry4 (the generated <see cref="Entry4"/>) while they fit
    /// maxcount and dircount, each after its "value follows" bool, then FALSE and eof. The list framing is
    /// by hand: whether an entry fits is known only once its attributes are built.
    /// </summary>
    private static Nfs4Status WriteReadDir(Compound c, in Bitmap4 requested, ulong verifier, List<Listed4> listed, bool eof, int budget, int dirCount)
    {
        int mark = c.Reply.BodyLength;
        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteUInt64(verifier);
        int used = 0, dirUsed = 0, written = 0;
        foreach (Listed4 listedEntry in listed)
        {
            var entry = new Entry4 { Cookie = listedEntry.Cookie, Name = listedEntry.Name, Attrs = FAttr4.Build(requested, listedEntry.Source) };
            int nameSize = 8 + 4 + Padded(entry.Name.Length);
            int size = 4 + nameSize + entry.Attrs.AttrMask.EncodedSize + 4 + Padded((int)entry.Attrs.AttrVals.Length);
            if (used + size > budget || (written > 0 && dirCount > 0 && dirUsed + nameSize > dirCount)) break;
            used += size;
            dirUsed += nameSize;
            w.WriteBool(true);
            entry.Encode(ref w);
            written++;
        }
        if (written == 0 && listed.Count > 0)
        {
            w.Flush();
            c.Reply.Truncate(mark);
            c.Written = false;
            return Nfs4Status.TooSmall;
        }
        w.WriteBool(false);
        w.WriteBool(eof && written == listed.Count);
        w.Flush();
        return Nfs4Status.Ok;
    }
}
