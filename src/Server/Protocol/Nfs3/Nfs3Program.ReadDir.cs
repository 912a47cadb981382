using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // Sizes of the XDR pieces of READDIR/READDIRPLUS replies (RFC 1813 §3.3.16-17), for the byte budget.
    private const int PostOpAttrSize = 4 + 84;
    private const int PostOpHandleSize = 4 + 4 + FileHandle.Size;
    private const int EntryFixedSize = 4 + 8 + 4 + 8;      // value_follows, fileid, name length, cookie
    private const int ListTrailerSize = 4 + 4;             // no more entries, eof
    private const int MaxEntriesPerCall = 4096;

    /// <summary>One name to list: "." and ".." come from the protocol (cookies 1 and 2), the rest from the store.</summary>
    private readonly record struct Listed(ulong Cookie, byte[] Name, FileId File, bool Synthetic);

    private static int Padded(int length) => (length + 3) & ~3;

    /// <summary>
    /// Names after <paramref name="cookie"/>: ".", ".." then the stored entries (cookies from 3).
    /// Status BAD_COOKIE when a non-zero cookie comes with another directory incarnation's verifier.
    /// </summary>
    private async ValueTask<(Nfs3Status Status, List<Listed> Names, bool Eof, ulong Verifier, FileAttributes? Dir)> ListAsync(
        Target target, ulong cookie, ulong verifier, int maxEntries)
    {
        ReadDirResult result = await Fs.ReadDirectoryAsync(target.Caller, target.Id, cookie <= 2 ? 0 : cookie, 0, maxEntries);
        if (result.Status != FsStatus.Ok) return (result.Status.ToNfs3(), [], false, 0, result.Directory);
        if (cookie != 0 && verifier != 0 && verifier != result.Verifier) return (Nfs3Status.BadCookie, [], false, 0, result.Directory);

        var names = new List<Listed>(result.Entries.Count + 2);
        FileAttributes? dir = result.Directory;
        if (cookie == 0) names.Add(new Listed(1, "."u8.ToArray(), target.Id, true));
        if (cookie <= 1)
        {
            ulong parent = dir?.ParentInode ?? target.Id.Inode;
            names.Add(new Listed(2, ".."u8.ToArray(), target.Id with { Inode = parent }, true));
        }
        foreach (DirEntry e in result.Entries) names.Add(new Listed(e.Cookie, e.Name, e.File, false));
        return (Nfs3Status.Ok, names, result.Eof, result.Verifier, dir);
    }

    // RFC 1813 §3.3.16 READDIR: as many entries as fit in count bytes of READDIR3resok.
    private async ValueTask ReadDirAsync(RpcCall call)
    {
        if (!call.TryDecode(out ReadDir3Args args)) return;
        Nfs3Status status = Resolve(call, args.Dir, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new ReadDir3Res { Status = status });
            return;
        }
        int budget = (int)Math.Min(args.Count, (uint)Options.MaxTransferSize) - PostOpAttrSize - 8 - ListTrailerSize;
        int wanted = Math.Clamp(budget / (EntryFixedSize + 8), 1, MaxEntriesPerCall);
        var (listStatus, names, eof, verifier, dir) = await ListAsync(target, args.Cookie, args.CookieVerf, wanted);
        if (listStatus != Nfs3Status.Ok)
        {
            call.ReplySuccess(new ReadDir3Res { Status = listStatus, ResFail = new ReadDir3ResFail { DirAttributes = Nfs3Mapping.PostOp(dir) } });
            return;
        }
        int fits = 0;
        for (int used = 0; fits < names.Count; fits++)
        {
            used += EntryFixedSize + Padded(names[fits].Name.Length);
            if (used > budget) break;
        }
        if (fits == 0 && names.Count > 0)
        {
            call.ReplySuccess(new ReadDir3Res { Status = Nfs3Status.TooSmall, ResFail = new ReadDir3ResFail { DirAttributes = Nfs3Mapping.PostOp(dir) } });
            return;
        }
        WriteReadDir(call, dir, verifier, names, fits, eof && fits == names.Count);
    }

    private static void WriteReadDir(RpcCall call, FileAttributes? dir, ulong verifier, List<Listed> names, int count, bool eof)
    {
        XdrWriter writer = call.BeginSuccess();
        writer.WriteInt32((int)Nfs3Status.Ok);
        Nfs3Mapping.PostOp(dir).Encode(ref writer);
        writer.WriteUInt64(verifier);
        for (int i = 0; i < count; i++)
        {
            writer.WriteBool(true);
            writer.WriteUInt64(names[i].File.Inode);
            writer.WriteOpaque(names[i].Name);
            writer.WriteUInt64(names[i].Cookie);
        }
        writer.WriteBool(false);
        writer.WriteBool(eof);
        writer.Flush();
    }

    // RFC 1813 §3.3.17 READDIRPLUS: entries with attributes and handles; dircount bounds the names, maxcount the reply.
    private async ValueTask ReadDirPlusAsync(RpcCall call)
    {
        if (!call.TryDecode(out ReadDirPlus3Args args)) return;
        Nfs3Status status = Resolve(call, args.Dir, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new ReadDirPlus3Res { Status = status });
            return;
        }
        int budget = (int)Math.Min(args.MaxCount, (uint)Options.MaxTransferSize) - PostOpAttrSize - 8 - ListTrailerSize;
        // dircount and maxcount are unsigned: 0x80000000 and up are "as much as you like", clamped to our limit.
        int dirBudget = (int)Math.Clamp(args.DirCount, 1u, (uint)Options.MaxTransferSize);
        int wanted = Math.Clamp(budget / (EntryFixedSize + 8 + PostOpAttrSize + PostOpHandleSize), 1, MaxEntriesPerCall);
        var (listStatus, names, eof, verifier, dir) = await ListAsync(target, args.Cookie, args.CookieVerf, wanted);
        if (listStatus != Nfs3Status.Ok)
        {
            call.ReplySuccess(new ReadDirPlus3Res { Status = listStatus, ResFail = new ReadDirPlus3ResFail { DirAttributes = Nfs3Mapping.PostOp(dir) } });
            return;
        }

        var attributes = new FileAttributes?[names.Count];
        int fits = 0;
        for (int used = 0, dirUsed = 0; fits < names.Count; fits++)
        {
            Listed n = names[fits];
            if (!n.Synthetic)
            {
                FsResult<FileAttributes> a = await Fs.GetAttributesAsync(n.File);
                if (a.Ok) attributes[fits] = a.Value;
            }
            int nameSize = EntryFixedSize + Padded(n.Name.Length);
            used += nameSize + (attributes[fits] is null ? 8 : PostOpAttrSize + PostOpHandleSize);
            dirUsed += nameSize;
            if (used > budget || (fits > 0 && dirUsed > dirBudget)) break;
        }
        if (fits == 0 && names.Count > 0)
        {
            call.ReplySuccess(new ReadDirPlus3Res { Status = Nfs3Status.TooSmall, ResFail = new ReadDirPlus3ResFail { DirAttributes = Nfs3Mapping.PostOp(dir) } });
            return;
        }
        WriteReadDirPlus(call, dir, verifier, names, attributes, fits, eof && fits == names.Count);
    }

    private static void WriteReadDirPlus(RpcCall call, FileAttributes? dir, ulong verifier, List<Listed> names, FileAttributes?[] attributes, int count, bool eof)
    {
        XdrWriter writer = call.BeginSuccess();
        writer.WriteInt32((int)Nfs3Status.Ok);
        Nfs3Mapping.PostOp(dir).Encode(ref writer);
        writer.WriteUInt64(verifier);
        Span<byte> handle = stackalloc byte[FileHandle.Size];
        for (int i = 0; i < count; i++)
        {
            writer.WriteBool(true);
            writer.WriteUInt64(names[i].File.Inode);
            writer.WriteOpaque(names[i].Name);
            writer.WriteUInt64(names[i].Cookie);
            if (attributes[i] is { } a)
            {
                Nfs3Mapping.PostOp(a).Encode(ref writer);
                writer.WriteBool(true);
                FileHandle.Write(a.Id, handle);
                writer.WriteOpaque(handle);
            }
            else
            {
                writer.WriteBool(false); // no attributes
                writer.WriteBool(false); // no handle
            }
        }
        writer.WriteBool(false);
        writer.WriteBool(eof);
        writer.Flush();
    }
}
