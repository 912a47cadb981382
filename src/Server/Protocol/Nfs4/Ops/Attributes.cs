using System.Buffers;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.1 ACCESS, §18.7 GETATTR (with CB_GETATTR for another client's write delegation), §18.30 SETATTR, §18.15/§18.31 VERIFY/NVERIFY.
internal sealed partial class Nfs4Program
{
    // §18.7 GETATTR: GETATTR4resok through its generated codec, the attribute values built by FAttr4.
    private async ValueTask<Nfs4Status> GetAttrAsync(Compound c)
    {
        Bitmap4 requested = c.Decode<GetAttr4Args>().AttrRequest;
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        var (attrStatus, source) = await AttrSourceAsync(c.Current, requested, c.Minor);
        if (attrStatus != Nfs4Status.Ok) return attrStatus;
        if ((requested.Has(Attr.Size) || requested.Has(Attr.Change)) && c.Current.Kind == FhKind.File)
        {
            // Another client may hold a write delegation and have written locally: its size and change are the truth (§10.4.3).
            (attrStatus, ulong? size, ulong? change) = await state.AskWriteDelegationHolderAsync(c.Client, c.Current.Id);
            if (attrStatus != Nfs4Status.Ok) return attrStatus;
            if (size is not null) source.File = source.File with { Size = size.Value, ChangeId = change ?? source.File.ChangeId };
        }
        WriteAttrResult(c, requested, source);
        return Nfs4Status.Ok;
    }

    private static void WriteAttrResult(Compound c, in Bitmap4 requested, in AttrSource source) =>
        c.ReplyOk(new GetAttr4ResOk { ObjAttributes = FAttr4.Build(requested, source) });

    // §18.1 ACCESS: the pseudo-fs grants read and lookup; exports ask the filesystem (mode bits).
    private async ValueTask<Nfs4Status> AccessAsync(Compound c)
    {
        uint requested = c.Decode<Access4Args>().Access;
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        // RFC 8276 §8.3: minor version 2 adds the xattr bits, granted as knfsd does: XAREAD and XALIST with read, XAWRITE with write.
        const uint xattrBits = Nfs4Const.Access4XaRead | Nfs4Const.Access4XaWrite | Nfs4Const.Access4XaList;
        uint supported = requested & ((uint)AccessMask.All | (c.Minor >= Nfs4Const.MinorVersion2 ? xattrBits : 0));
        uint asked = supported & (uint)AccessMask.All;
        if ((supported & (Nfs4Const.Access4XaRead | Nfs4Const.Access4XaList)) != 0) asked |= (uint)AccessMask.Read;
        if ((supported & Nfs4Const.Access4XaWrite) != 0) asked |= (uint)AccessMask.Modify;
        uint granted;
        if (c.Current.Kind == FhKind.Pseudo)
        {
            granted = asked & (uint)(AccessMask.Read | AccessMask.Lookup | AccessMask.Execute);
        }
        else
        {
            AccessResult result = await Fs.AccessAsync(c.Current.Caller, c.Current.Id, (AccessMask)asked);
            if (result.Status != FsStatus.Ok) return Map(result.Status);
            granted = (uint)result.Granted & asked;
            if (c.Current.Export!.ReadOnly) granted &= ~(uint)(AccessMask.Modify | AccessMask.Extend | AccessMask.Delete);
        }
        uint xattrs = ((granted & (uint)AccessMask.Read) != 0 ? Nfs4Const.Access4XaRead | Nfs4Const.Access4XaList : 0)
            | ((granted & (uint)AccessMask.Modify) != 0 ? Nfs4Const.Access4XaWrite : 0);
        granted = (granted | xattrs) & supported;
        return c.ReplyOk(new Access4ResOk { Supported = supported, Access = granted });
    }

    // §18.30 SETATTR: a size change needs an open for writing (or the anonymous stateid); attrsset is answered on error too.
    private async ValueTask<Nfs4Status> SetAttrAsync(Compound c)
    {
        SetAttr4Args a = c.Decode<SetAttr4Args>();
        Stateid4 stateid = a.Stateid;
        Nfs4Status status = ReadAttributes(c, a.ObjAttributes, out SetAttributes attributes, out Bitmap4 mask);
        if (status == Nfs4Status.Ok) status = NeedFh(c, write: true);
        if (status == Nfs4Status.Ok && attributes.Size is not null) status = CheckIoStateid(c, ref stateid, write: true);
        ChangeTicket ticket = default;
        if (status == Nfs4Status.Ok && !attributes.IsEmpty) status = BeginChange(c, c.Current, out ticket);
        using ChangeTicket change = ticket;
        if (status != Nfs4Status.Ok)
        {
            WriteSetAttrResult(c, status, default);
            return status;
        }
        if (attributes.IsEmpty)
        {
            WriteSetAttrResult(c, Nfs4Status.Ok, default);
            return Nfs4Status.Ok;
        }
        SetAttrResult result = await Fs.SetAttributesAsync(c.Current.Caller, c.Current.Id, attributes);
        status = Map(result.Status);
        WriteSetAttrResult(c, status, status == Nfs4Status.Ok ? mask : default);
        return status;
    }

    private static void WriteSetAttrResult(Compound c, Nfs4Status status, in Bitmap4 set)
    {
        XdrWriter w = c.Begin(status);
        set.Write(ref w);
        w.Flush();
    }

    /// <summary>Decodes a fattr4 of settable attributes with the current export's anonymous ids for unknown owners.</summary>
    private Nfs4Status ReadAttributes(Compound c, in Fattr4 fattr, out SetAttributes attributes, out Bitmap4 mask)
    {
        uint anonUid = c.Current.Export?.Options.AnonymousUid ?? 65534;
        uint anonGid = c.Current.Export?.Options.AnonymousGid ?? 65534;
        return FAttr4.ReadSettable(fattr, anonUid, anonGid, out attributes, out mask);
    }

    // §18.31 VERIFY / §18.15 NVERIFY: compare the client's fattr4 with ours, byte for byte.
    private async ValueTask<Nfs4Status> VerifyAsync(Compound c, bool negate)
    {
        Fattr4 fattr = c.Decode<Verify4Args>().ObjAttributes;
        (Bitmap4 mask, ReadOnlyMemory<byte> values) = (fattr.AttrMask, fattr.AttrVals.IsSingleSegment ? fattr.AttrVals.First : fattr.AttrVals.ToArray());
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (!mask.IsSubsetOf(Attr.SupportedFor(c.Minor))) return Nfs4Status.AttrNotSupp;
        if (!(mask & (Attr.WriteOnly | new Bitmap4(1u << Attr.RdattrError, 0, 0))).IsEmpty) return Nfs4Status.Inval;
        var (attrStatus, source) = await AttrSourceAsync(c.Current, mask, c.Minor);
        if (attrStatus != Nfs4Status.Ok) return attrStatus;
        bool same = SameAttributes(mask, source, values.Span);
        if (negate) return same ? Nfs4Status.Same : Nfs4Status.Ok;
        return same ? Nfs4Status.Ok : Nfs4Status.NotSame;
    }

    private static bool SameAttributes(in Bitmap4 mask, in AttrSource source, ReadOnlySpan<byte> theirs)
    {
        Span<byte> ours = stackalloc byte[FAttr4.MaxEncoded];
        int length = FAttr4.Encode(mask, source, ours, out _);
        return ours[..length].SequenceEqual(theirs);
    }
}
