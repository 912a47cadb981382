using System.Buffers;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8276 §8.4 extended attributes: GETXATTR, SETXATTR, LISTXATTRS, REMOVEXATTR. The names are the "user."
// namespace without its prefix (the Linux client strips and adds it); the filesystem keeps and checks them.
internal sealed partial class Nfs4Program
{
    // §8.4.1 GETXATTR: NOXATTR when there is none of that name.
    private async ValueTask<Nfs4Status> GetXattrAsync(Compound c)
    {
        ReadOnlyMemory<byte> name = c.Decode<GetXattr4Args>().Name;
        Nfs4Status status = XattrTarget(c);
        if (status != Nfs4Status.Ok) return status;
        XattrResult result = await Fs.GetXattrAsync(c.Current.Caller, c.Current.Id, name);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new GetXattr4ResOk { Value = result.Value });
    }

    // §8.4.2 SETXATTR: CREATE on an existing name is EXIST, REPLACE of a missing one NOXATTR; too big is XATTR2BIG.
    private async ValueTask<Nfs4Status> SetXattrAsync(Compound c)
    {
        SetXattr4Args a = c.Decode<SetXattr4Args>();
        Nfs4Status status = XattrTarget(c);
        if (status == Nfs4Status.Ok && a.Option > Nfs4Const.SetXattr4Replace) status = Nfs4Status.Inval;
        if (status == Nfs4Status.Ok && a.Value.Length > Xattrs.MaxValue) status = Nfs4Status.Xattr2Big;
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok) status = BeginChange(c, c.Current, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok) return status;
        XattrChangeResult result = await Fs.SetXattrAsync(c.Current.Caller, c.Current.Id, a.Key, a.Value.ToArray(), (XattrSetMode)a.Option);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new ChangeInfo4ResOk { CInfo = ChangeInfo(result.File) });
    }

    // §8.4.4 REMOVEXATTR: NOXATTR when there is none of that name.
    private async ValueTask<Nfs4Status> RemoveXattrAsync(Compound c)
    {
        ReadOnlyMemory<byte> name = c.Decode<GetXattr4Args>().Name;
        Nfs4Status status = XattrTarget(c);
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok) status = BeginChange(c, c.Current, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok) return status;
        XattrChangeResult result = await Fs.RemoveXattrAsync(c.Current.Caller, c.Current.Id, name);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        return c.ReplyOk(new ChangeInfo4ResOk { CInfo = ChangeInfo(result.File) });
    }

    /// <summary>
    /// §8.4.3 LISTXATTRS: the names after the cookie (a cookie is how many names came before), as many as fit
    /// lxa_maxcount (the whole LISTXATTRS4resok: cookie, array length, names, eof); TOOSMALL if not even one does.
    /// <code>
    /// LISTXATTRS4resok: nfs_cookie4 lxr_cookie | xattrkey4 lxr_names&lt;&gt; | bool lxr_eof
    /// </code>
    /// </summary>
    private async ValueTask<Nfs4Status> ListXattrsAsync(Compound c)
    {
        ListXattrs4Args a = c.Decode<ListXattrs4Args>();
        Nfs4Status status = XattrTarget(c);
        if (status != Nfs4Status.Ok) return status;
        XattrListResult result = await Fs.ListXattrsAsync(c.Current.Caller, c.Current.Id);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        IReadOnlyList<byte[]> names = result.Names;
        if (a.Cookie > (ulong)names.Count) return Nfs4Status.BadCookie;
        int first = (int)a.Cookie;
        long budget = (long)Math.Min(a.MaxCount, (uint)Options.MaxTransferSize) - (8 + 4 + 4);
        int next = first;
        while (next < names.Count && budget >= 4 + ((names[next].Length + 3) & ~3))
        {
            budget -= 4 + ((names[next].Length + 3) & ~3);
            next++;
        }
        if (next == first && first < names.Count) return Nfs4Status.TooSmall;
        if (budget < 0) return Nfs4Status.TooSmall;

        XdrWriter w = c.Begin(Nfs4Status.Ok);
        w.WriteUInt64((ulong)next);
        w.WriteInt32(next - first);
        for (int i = first; i < next; i++) w.WriteOpaque(names[i]);
        w.WriteBool(next == names.Count);
        w.Flush();
        return Nfs4Status.Ok;
    }

    /// <summary>A file of an export: the pseudo-fs has no extended attributes.</summary>
    private static Nfs4Status XattrTarget(Compound c) =>
        c.Current.IsNone ? Nfs4Status.NoFileHandle
        : c.Current.Kind == FhKind.Pseudo ? Nfs4Status.NotSupp
        : Nfs4Status.Ok;
}
