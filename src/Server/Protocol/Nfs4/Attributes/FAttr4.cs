using System.Buffers.Binary;
using System.Text;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4.Attributes;

/// <summary>RFC 8881 §5.8 attribute numbers this server knows.</summary>
internal static class Attr
{
    public const int SupportedAttrs = 0, Type = 1, FhExpireType = 2, Change = 3, Size = 4, LinkSupport = 5, SymlinkSupport = 6,
        NamedAttr = 7, Fsid = 8, UniqueHandles = 9, LeaseTime = 10, RdattrError = 11, Acl = 12, AclSupport = 13, Archive = 14,
        CanSetTime = 15, CaseInsensitive = 16, CasePreserving = 17, ChownRestricted = 18, FileHandle = 19, FileId = 20,
        FilesAvail = 21, FilesFree = 22, FilesTotal = 23, FsLocations = 24, Hidden = 25, Homogeneous = 26, MaxFileSize = 27,
        MaxLink = 28, MaxName = 29, MaxRead = 30, MaxWrite = 31, MimeType = 32, Mode = 33, NoTrunc = 34, NumLinks = 35,
        Owner = 36, OwnerGroup = 37, QuotaAvailHard = 38, QuotaAvailSoft = 39, QuotaUsed = 40, RawDev = 41, SpaceAvail = 42,
        SpaceFree = 43, SpaceTotal = 44, SpaceUsed = 45, System = 46, TimeAccess = 47, TimeAccessSet = 48, TimeBackup = 49,
        TimeCreate = 50, TimeDelta = 51, TimeMetadata = 52, TimeModify = 53, TimeModifySet = 54, MountedOnFileId = 55,
        SuppAttrExclCreat = 75,
        // Minor version 2: RFC 7862 §12.2 (sec_label 80 not supported), RFC 8276 §8.2.
        CloneBlkSize = 77, SpaceFreed = 78, ChangeAttrType = 79, XattrSupport = 82;

    // change_attr_type4 (RFC 7862 §12.2.3): our change id only ever grows.
    private const uint ChangeTypeIsMonotonicIncr = 0;

    private static Bitmap4 Of(params int[] bits)
    {
        var map = default(Bitmap4);
        foreach (int b in bits) map.Set(b);
        return map;
    }

    /// <summary>Every attribute GETATTR can return or SETATTR can set: all REQUIRED ones and the RECOMMENDED ones Linux asks for.</summary>
    public static readonly Bitmap4 Supported = Of(SupportedAttrs, Type, FhExpireType, Change, Size, LinkSupport, SymlinkSupport,
        NamedAttr, Fsid, UniqueHandles, LeaseTime, RdattrError, AclSupport, CanSetTime, CaseInsensitive, CasePreserving,
        ChownRestricted, FileHandle, FileId, FilesAvail, FilesFree, FilesTotal, Homogeneous, MaxFileSize, MaxLink, MaxName,
        MaxRead, MaxWrite, Mode, NoTrunc, NumLinks, Owner, OwnerGroup, RawDev, SpaceAvail, SpaceFree, SpaceTotal, SpaceUsed,
        TimeAccess, TimeAccessSet, TimeCreate, TimeDelta, TimeMetadata, TimeModify, TimeModifySet, MountedOnFileId, SuppAttrExclCreat);

    /// <summary>Minor version 2 adds the RFC 7862 / 8276 attributes the Linux client asks for.</summary>
    public static readonly Bitmap4 Supported42 = Supported | Of(CloneBlkSize, SpaceFreed, ChangeAttrType, XattrSupport);

    /// <summary>supported_attrs of a COMPOUND's minor version (a 4.1 client never sees 4.2 bits).</summary>
    public static Bitmap4 SupportedFor(uint minor) => minor >= Nfs4Const.MinorVersion2 ? Supported42 : Supported;

    public static uint ChangeType => ChangeTypeIsMonotonicIncr;

    /// <summary>The attributes SETATTR accepts.</summary>
    public static readonly Bitmap4 Writable = Of(Size, Mode, Owner, OwnerGroup, TimeAccessSet, TimeModifySet);

    /// <summary>Attributes an EXCLUSIVE4_1 create may set along with the verifier (suppattr_exclcreat).</summary>
    public static readonly Bitmap4 ExclCreat = Of(Size, Mode, Owner, OwnerGroup);

    /// <summary>Write-only attributes: never returned by GETATTR.</summary>
    public static readonly Bitmap4 WriteOnly = Of(TimeAccessSet, TimeModifySet);

    /// <summary>Attributes that need the filesystem's statistics.</summary>
    public static readonly Bitmap4 NeedStats = Of(FilesAvail, FilesFree, FilesTotal, SpaceAvail, SpaceFree, SpaceTotal);

    /// <summary>Attributes answered from the blocks that hold data (counted only when asked for).</summary>
    public static readonly Bitmap4 NeedSpaceUsed = Of(SpaceUsed, SpaceFreed);
}

/// <summary>Everything one fattr4 is made from.</summary>
internal struct AttrSource
{
    public FileAttributes File;
    public ulong FsidMajor;
    public ulong FsidMinor;
    public ulong MountedOnFileId;
    public FsStats Stats;
    public uint LeaseSeconds;
    public ulong MaxTransfer;
    /// <summary>FATTR4_CLONE_BLKSIZE: CLONE ranges align to this (the block size).</summary>
    public uint CloneBlockSize;
    public Nfs4Status RdattrError;
    /// <summary>The COMPOUND's minor version: which attributes exist.</summary>
    public uint Minor;
}

/// <summary>A bounds-checked big-endian writer over a span (fattr4 attribute values are built in a scratch buffer so the opaque length is known).</summary>
internal ref struct SpanXdr(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    public int Length;

    public void U32(uint v) { BinaryPrimitives.WriteUInt32BigEndian(_buffer[Length..], v); Length += 4; }
    public void U64(ulong v) { BinaryPrimitives.WriteUInt64BigEndian(_buffer[Length..], v); Length += 8; }
    public void Bool(bool v) => U32(v ? 1u : 0u);
    public void Time(Timestamp t) { U64((ulong)t.Seconds); U32(t.Nanoseconds); }

    public void Opaque(scoped ReadOnlySpan<byte> data)
    {
        U32((uint)data.Length);
        data.CopyTo(_buffer[Length..]);
        Length += data.Length;
        int pad = (4 - (data.Length & 3)) & 3;
        _buffer.Slice(Length, pad).Clear();
        Length += pad;
    }

    public void Bitmap(in Bitmap4 map)
    {
        int count = map.WordCount;
        U32((uint)count);
        if (count > 0) U32(map.W0);
        if (count > 1) U32(map.W1);
        if (count > 2) U32(map.W2);
    }

    /// <summary>An id as a numeric owner string ("1000"): the guest has no idmapper, and Linux knfsd does the same for AUTH_SYS.</summary>
    public void Owner(uint id)
    {
        Span<byte> digits = stackalloc byte[10];
        id.TryFormat(digits, out int n);
        Opaque(digits[..n]);
    }
}

/// <summary>
/// fattr4 (bitmap4 attrmask; opaque attr_vals&lt;&gt;): the wire struct is the generated <see cref="Fattr4"/>; what
/// stays by hand is attr_vals, whose layout is not XDR the generator could follow but a sequence chosen by
/// the bitmap (each attribute number in order, its own type), RFC 8881 §3.3.10/§5.
/// </summary>
internal static class FAttr4
{
    /// <summary>Largest attribute list this server produces (owner strings are at most 10 digits; the handle is 20 bytes).</summary>
    public const int MaxEncoded = 1024;

    // The attr_vals of the fattr4 being built on this thread (a Fattr4 holds its bytes as memory, not a span).
    [ThreadStatic]
    private static byte[]? t_scratch;

    /// <summary>
    /// The fattr4 of the requested attributes we support, for the generated encoder. Its values live in a
    /// buffer of this thread, good until the next call on the thread: encode it before anything else runs.
    /// </summary>
    public static Fattr4 Build(in Bitmap4 requested, in AttrSource source)
    {
        byte[] scratch = t_scratch ??= new byte[MaxEncoded];
        int length = Encode(requested, source, scratch, out Bitmap4 returned);
        return new Fattr4 { AttrMask = returned, AttrVals = new System.Buffers.ReadOnlySequence<byte>(scratch, 0, length) };
    }

    public static uint ToNfsType(FileType type) => type switch
    {
        FileType.Regular => Nfs4Const.Nf4Reg,
        FileType.Directory => Nfs4Const.Nf4Dir,
        FileType.BlockDevice => Nfs4Const.Nf4Blk,
        FileType.CharDevice => Nfs4Const.Nf4Chr,
        FileType.Symlink => Nfs4Const.Nf4Lnk,
        FileType.Socket => Nfs4Const.Nf4Sock,
        FileType.Fifo => Nfs4Const.Nf4Fifo,
        _ => Nfs4Const.Nf4Reg,
    };

    /// <summary>Writes fattr4 for the requested attributes that we support into <paramref name="writer"/>.</summary>
    public static void Write(ref XdrWriter writer, in Bitmap4 requested, in AttrSource source) => Build(requested, source).Encode(ref writer);

    /// <summary>The attribute values (without the bitmap) into <paramref name="scratch"/>; returns their length.</summary>
    public static int Encode(in Bitmap4 requested, in AttrSource s, Span<byte> scratch, out Bitmap4 returned)
    {
        returned = requested & Attr.SupportedFor(s.Minor) & ~Attr.WriteOnly;
        returned.HasBitsBeyond = false;
        var w = new SpanXdr(scratch);
        FileAttributes f = s.File;
        Span<byte> handle = stackalloc byte[Protocol.FileHandle.Size];
        for (int bit = 0; bit < 96; bit++)
        {
            if (!returned.Has(bit)) continue;
            switch (bit)
            {
                case Attr.SupportedAttrs: w.Bitmap(Attr.SupportedFor(s.Minor)); break;
                case Attr.Type: w.U32(ToNfsType(f.Type)); break;
                case Attr.FhExpireType: w.U32(0); break; // FH4_PERSISTENT
                case Attr.Change: w.U64(f.ChangeId); break;
                case Attr.Size: w.U64(f.Size); break;
                case Attr.LinkSupport: w.Bool(true); break;
                case Attr.SymlinkSupport: w.Bool(true); break;
                case Attr.NamedAttr: w.Bool(false); break;
                case Attr.Fsid: w.U64(s.FsidMajor); w.U64(s.FsidMinor); break;
                case Attr.UniqueHandles: w.Bool(true); break;
                case Attr.LeaseTime: w.U32(s.LeaseSeconds); break;
                case Attr.RdattrError: w.U32((uint)s.RdattrError); break;
                case Attr.AclSupport: w.U32(0); break;
                case Attr.CanSetTime: w.Bool(true); break;
                case Attr.CaseInsensitive: w.Bool(false); break;
                case Attr.CasePreserving: w.Bool(true); break;
                case Attr.ChownRestricted: w.Bool(true); break;
                case Attr.FileHandle:
                    Protocol.FileHandle.Write(f.Id, handle);
                    w.Opaque(handle);
                    break;
                case Attr.FileId: w.U64(f.Id.Inode); break;
                case Attr.FilesAvail: w.U64(s.Stats.AvailableFiles); break;
                case Attr.FilesFree: w.U64(s.Stats.FreeFiles); break;
                case Attr.FilesTotal: w.U64(s.Stats.TotalFiles); break;
                case Attr.Homogeneous: w.Bool(true); break;
                case Attr.MaxFileSize: w.U64(FsLimits.MaxFileSize); break;
                case Attr.MaxLink: w.U32(FsLimits.MaxLinkCount); break;
                case Attr.MaxName: w.U32(FsLimits.MaxNameLength); break;
                case Attr.MaxRead: w.U64(s.MaxTransfer); break;
                case Attr.MaxWrite: w.U64(s.MaxTransfer); break;
                case Attr.Mode: w.U32(f.Mode & 0xFFF); break;
                case Attr.NoTrunc: w.Bool(true); break;
                case Attr.NumLinks: w.U32(f.LinkCount); break;
                case Attr.Owner: w.Owner(f.Uid); break;
                case Attr.OwnerGroup: w.Owner(f.Gid); break;
                case Attr.RawDev: w.U32(f.RdevMajor); w.U32(f.RdevMinor); break;
                case Attr.SpaceAvail: w.U64(s.Stats.AvailableBytes); break;
                case Attr.SpaceFree: w.U64(s.Stats.FreeBytes); break;
                case Attr.SpaceTotal: w.U64(s.Stats.TotalBytes); break;
                case Attr.SpaceUsed: w.U64(f.SpaceUsed); break;
                case Attr.TimeAccess: w.Time(f.AccessTime); break;
                case Attr.TimeCreate: w.Time(f.BirthTime); break;
                case Attr.TimeDelta: w.Time(new Timestamp(0, 1)); break;
                case Attr.TimeMetadata: w.Time(f.ChangeTime); break;
                case Attr.TimeModify: w.Time(f.ModifyTime); break;
                case Attr.MountedOnFileId: w.U64(s.MountedOnFileId); break;
                case Attr.SuppAttrExclCreat: w.Bitmap(Attr.ExclCreat); break;
                case Attr.CloneBlkSize: w.U32(s.CloneBlockSize); break;
                case Attr.SpaceFreed: w.U64(f.SpaceUsed); break;
                case Attr.ChangeAttrType: w.U32(Attr.ChangeType); break;
                case Attr.XattrSupport: w.Bool(true); break;
            }
        }
        return w.Length;
    }

    /// <summary>
    /// Decodes the settable attributes of a fattr4 (SETATTR, CREATE, OPEN). ATTRNOTSUPP for an
    /// attribute we do not support, INVAL for a read-only one, BADOWNER for an owner we cannot map,
    /// BADXDR when the values do not match the bitmap.
    /// </summary>
    public static Nfs4Status ReadSettable(ref XdrReader reader, uint anonymousUid, uint anonymousGid, out SetAttributes attributes, out Bitmap4 mask) =>
        ReadSettable(Fattr4.Decode(ref reader), anonymousUid, anonymousGid, out attributes, out mask);

    /// <summary>The settable attributes of a decoded fattr4; a malformed attrlist4 is BADXDR as a status.</summary>
    public static Nfs4Status ReadSettable(in Fattr4 fattr, uint anonymousUid, uint anonymousGid, out SetAttributes attributes, out Bitmap4 mask)
    {
        attributes = default;
        mask = fattr.AttrMask;
        System.Buffers.ReadOnlySequence<byte> values = fattr.AttrVals;
        if (!mask.IsSubsetOf(Attr.Supported)) return Nfs4Status.AttrNotSupp;
        if (!mask.IsSubsetOf(Attr.Writable)) return Nfs4Status.Inval;
        var r = new XdrReader(values);
        try
        {
            if (mask.Has(Attr.Size)) attributes = attributes with { Size = r.ReadUInt64() };
            if (mask.Has(Attr.Mode)) attributes = attributes with { Mode = r.ReadUInt32() & 0xFFF };
            if (mask.Has(Attr.Owner))
            {
                if (!TryParseOwner(r.ReadOpaque(Nfs4Const.OpaqueLimit), anonymousUid, out uint uid)) return Nfs4Status.BadOwner;
                attributes = attributes with { Uid = uid };
            }
            if (mask.Has(Attr.OwnerGroup))
            {
                if (!TryParseOwner(r.ReadOpaque(Nfs4Const.OpaqueLimit), anonymousGid, out uint gid)) return Nfs4Status.BadOwner;
                attributes = attributes with { Gid = gid };
            }
            if (mask.Has(Attr.TimeAccessSet)) attributes = attributes with { AccessTime = ReadSetTime(ref r) };
            if (mask.Has(Attr.TimeModifySet)) attributes = attributes with { ModifyTime = ReadSetTime(ref r) };
        }
        catch (XdrException)
        {
            return Nfs4Status.BadXdr;
        }
        return Nfs4Status.Ok;
    }

    private static TimeSet ReadSetTime(ref XdrReader r)
    {
        uint how = r.ReadUInt32();
        if (how == 0) return TimeSet.ServerTime; // SET_TO_SERVER_TIME4
        if (how != 1) XdrException.Throw("bad time_how4");
        long seconds = r.ReadInt64();
        uint nanos = r.ReadUInt32();
        if (nanos >= 1_000_000_000) XdrException.Throw("bad nseconds");
        return TimeSet.At(new Timestamp(seconds, nanos));
    }

    /// <summary>"1000" and "1000@domain" are ids; "nobody" and names we cannot map become the anonymous id.</summary>
    public static bool TryParseOwner(System.Buffers.ReadOnlySequence<byte> owner, uint anonymous, out uint id)
    {
        id = anonymous;
        if (owner.Length == 0 || owner.Length > 256) return false;
        Span<byte> text = stackalloc byte[(int)owner.Length];
        System.Buffers.BuffersExtensions.CopyTo(owner, text);
        int at = text.IndexOf((byte)'@');
        ReadOnlySpan<byte> user = at >= 0 ? text[..at] : text;
        if (user.Length > 0 && System.Buffers.Text.Utf8Parser.TryParse(user, out uint value, out int consumed) && consumed == user.Length)
        {
            id = value;
            return true;
        }
        if (user.SequenceEqual("root"u8)) { id = 0; return true; }
        id = anonymous;
        return Encoding.UTF8.GetCharCount(user) > 0;
    }
}
