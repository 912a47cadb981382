using System.Buffers;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// NFSv4.1 basic data types shared by several operations, RFC 8881 §3.2 and §3.3.
//
// As in Nfs3/Types: typedefs are not types. verifier4 (opaque[8]) is a ulong,
// component4/linktext4/utf8str_* are ReadOnlyMemory<byte> slices of the record
// (bounded at 4096 bytes; the handler answers NAMETOOLONG/INVAL for content),
// stateid4 and bitmap4 have hand-written codecs (Stateid4.cs, Bitmap4.cs) that
// keep them fixed-size structs. Nothing here allocates on decode unless it is
// a byte[] or an array, and none of those is in a hot operation.

/// <summary>Bounds this codec puts on fields RFC 8881 leaves unbounded.</summary>
internal static class Nfs4Limits
{
    /// <summary>component4 / utf8str_cs: the XDR bound of a name (the handler checks NAME_MAX).</summary>
    public const int MaxName = 4096;

    /// <summary>linktext4: a symlink target (the filesystem refuses past its own limit).</summary>
    public const int MaxLinkText = Storage.FsLimits.MaxPathLength + 1;

    /// <summary>fattr4's attrlist4 (both directions).</summary>
    public const int MaxAttrList = 64 * 1024;

    /// <summary>Entries of TEST_STATEID, callback_sec_parms4 and the like.</summary>
    public const int MaxStateids = 1024;
    public const int MaxSecParms = 64;
}

// RFC 8881 §3.3.1 nfstime4: struct nfstime4 { int64_t seconds; uint32_t nseconds; };
[XdrType]
internal partial struct NfsTime4
{
    public long Seconds;
    public uint NSeconds;
}

// RFC 8881 §3.3.4 specdata4: struct specdata4 { uint32_t specdata1; uint32_t specdata2; };
[XdrType]
internal partial struct SpecData4
{
    public uint SpecData1;
    public uint SpecData2;
}

// RFC 8881 §3.2 nfs_fh4: typedef opaque nfs_fh4<NFS4_FHSIZE>;
[XdrType]
internal partial struct NfsFh4
{
    /// <summary>The handle bytes, a slice of the record on decode.</summary>
    [XdrMaxLength(Nfs4Const.FhSize)]
    public ReadOnlyMemory<byte> Data;
}

// RFC 8881 §3.3.10 fattr4: struct fattr4 { bitmap4 attrmask; attrlist4 attr_vals; };
// attr_vals stays raw: FAttr4.ReadSettable parses the settable ones, VERIFY compares bytes.
[XdrType]
internal partial struct Fattr4
{
    public Bitmap4 AttrMask;

    [XdrMaxLength(Nfs4Limits.MaxAttrList)]
    public ReadOnlySequence<byte> AttrVals;
}

// RFC 8881 §3.3.11 change_info4: struct change_info4 { bool atomic; changeid4 before; changeid4 after; };
[XdrType]
internal partial struct ChangeInfo4
{
    public bool Atomic;
    public ulong Before;
    public ulong After;
}

// RFC 8881 §3.3.13 / §3.3.14 open_owner4 and lock_owner4 (one wire form, state_owner4):
//   struct state_owner4 { clientid4 clientid; opaque owner<NFS4_OPAQUE_LIMIT>; };
[XdrType]
internal partial struct StateOwner4
{
    public ulong ClientId;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Owner;
}

// RFC 8881 §3.3.12 sessionid4: typedef opaque sessionid4[NFS4_SESSIONID_SIZE];
// 16 bytes, no length, no padding: the same bytes as two big-endian ulongs.
[XdrType]
internal partial struct SessionId4
{
    public ulong High;
    public ulong Low;

    public static implicit operator SessionId(SessionId4 id) => new(id.High, id.Low);

    public static implicit operator SessionId4(SessionId id) => new() { High = id.High, Low = id.Low };
}

// RFC 8881 §3.3.21 nfs_impl_id4:
//   struct nfs_impl_id4 { utf8str_cis nii_domain; utf8str_cs nii_name; nfstime4 nii_date; };
[XdrType]
internal partial struct NfsImplId4
{
    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Domain;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Name;

    public NfsTime4 Date;
}
