using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// NFSv3 basic data types, RFC 1813 §2.5 and §2.6.
//
// Typedefs are not types here: uint64/fileid3/cookie3/size3/offset3 are ulong,
// uint32/uid3/gid3/mode3/count3 are uint, cookieverf3/createverf3/writeverf3
// (opaque[8]) are ulong (the same 8 bytes, big-endian, with no allocation),
// filename3/nfspath3 are ReadOnlyMemory<byte> (a slice of the record buffer).
//
// Names are bounded at 4096 bytes at the XDR level, not at 255: a 300-byte
// name decodes fine and the handler answers NFS3ERR_NAMETOOLONG.

/// <summary>Wire-level limits of RFC 1813 §2.4 and the bounds this codec puts on unbounded fields.</summary>
public static class Nfs3Limits
{
    /// <summary>NFS3_FHSIZE: the largest file handle.</summary>
    public const int FhSize = 64;

    /// <summary>NFS3_COOKIEVERFSIZE, NFS3_CREATEVERFSIZE, NFS3_WRITEVERFSIZE.</summary>
    public const int VerifierSize = 8;

    /// <summary>XDR bound for filename3 and nfspath3 (the RFC leaves them unbounded).</summary>
    public const int MaxName = 4096;
}

// RFC 1813 §3: the procedure numbers of program 100003 version 3.
public enum Nfs3Procedure : uint
{
    Null = 0,
    GetAttr = 1,
    SetAttr = 2,
    Lookup = 3,
    Access = 4,
    ReadLink = 5,
    Read = 6,
    Write = 7,
    Create = 8,
    MkDir = 9,
    Symlink = 10,
    MkNod = 11,
    Remove = 12,
    RmDir = 13,
    Rename = 14,
    Link = 15,
    ReadDir = 16,
    ReadDirPlus = 17,
    FsStat = 18,
    FsInfo = 19,
    PathConf = 20,
    Commit = 21,
}

// RFC 1813 §2.6 nfsstat3.
public enum Nfs3Status : int
{
    /// <summary>NFS3_OK</summary>
    Ok = 0,
    /// <summary>NFS3ERR_PERM: not owner.</summary>
    Perm = 1,
    /// <summary>NFS3ERR_NOENT: no such file or directory.</summary>
    NoEnt = 2,
    /// <summary>NFS3ERR_IO: hard I/O error.</summary>
    Io = 5,
    /// <summary>NFS3ERR_NXIO: no such device or address.</summary>
    NxIo = 6,
    /// <summary>NFS3ERR_ACCES: permission denied.</summary>
    Acces = 13,
    /// <summary>NFS3ERR_EXIST: file exists.</summary>
    Exist = 17,
    /// <summary>NFS3ERR_XDEV: cross-device link.</summary>
    XDev = 18,
    /// <summary>NFS3ERR_NODEV: no such device.</summary>
    NoDev = 19,
    /// <summary>NFS3ERR_NOTDIR: not a directory.</summary>
    NotDir = 20,
    /// <summary>NFS3ERR_ISDIR: is a directory.</summary>
    IsDir = 21,
    /// <summary>NFS3ERR_INVAL: invalid argument.</summary>
    Inval = 22,
    /// <summary>NFS3ERR_FBIG: file too large.</summary>
    FBig = 27,
    /// <summary>NFS3ERR_NOSPC: no space left on device.</summary>
    NoSpc = 28,
    /// <summary>NFS3ERR_ROFS: read-only file system.</summary>
    RoFs = 30,
    /// <summary>NFS3ERR_MLINK: too many hard links.</summary>
    MLink = 31,
    /// <summary>NFS3ERR_NAMETOOLONG</summary>
    NameTooLong = 63,
    /// <summary>NFS3ERR_NOTEMPTY: directory not empty.</summary>
    NotEmpty = 66,
    /// <summary>NFS3ERR_DQUOT: quota exceeded.</summary>
    DQuot = 69,
    /// <summary>NFS3ERR_STALE: stale file handle.</summary>
    Stale = 70,
    /// <summary>NFS3ERR_REMOTE: too many levels of remote in path.</summary>
    Remote = 71,
    /// <summary>NFS3ERR_BADHANDLE: illegal file handle.</summary>
    BadHandle = 10001,
    /// <summary>NFS3ERR_NOT_SYNC: SETATTR guard mismatch.</summary>
    NotSync = 10002,
    /// <summary>NFS3ERR_BAD_COOKIE: READDIR(PLUS) cookie is stale.</summary>
    BadCookie = 10003,
    /// <summary>NFS3ERR_NOTSUPP: operation not supported.</summary>
    NotSupp = 10004,
    /// <summary>NFS3ERR_TOOSMALL: buffer or request too small.</summary>
    TooSmall = 10005,
    /// <summary>NFS3ERR_SERVERFAULT: error with no NFS mapping.</summary>
    ServerFault = 10006,
    /// <summary>NFS3ERR_BADTYPE: object type not supported by the server.</summary>
    BadType = 10007,
    /// <summary>NFS3ERR_JUKEBOX: try again later.</summary>
    Jukebox = 10008,
}

// RFC 1813 §2.6 ftype3.
public enum Ftype3 : int
{
    /// <summary>NF3REG</summary>
    Reg = 1,
    /// <summary>NF3DIR</summary>
    Dir = 2,
    /// <summary>NF3BLK</summary>
    Blk = 3,
    /// <summary>NF3CHR</summary>
    Chr = 4,
    /// <summary>NF3LNK</summary>
    Lnk = 5,
    /// <summary>NF3SOCK</summary>
    Sock = 6,
    /// <summary>NF3FIFO</summary>
    Fifo = 7,
}

// RFC 1813 §2.6 time_how (in sattr3).
public enum TimeHow : int
{
    DontChange = 0,
    SetToServerTime = 1,
    SetToClientTime = 2,
}

// RFC 1813 §3.3.7 stable_how.
public enum StableHow : int
{
    Unstable = 0,
    DataSync = 1,
    FileSync = 2,
}

// RFC 1813 §3.3.8 createmode3.
public enum CreateMode3 : int
{
    Unchecked = 0,
    Guarded = 1,
    Exclusive = 2,
}

// RFC 1813 §2.6 specdata3: major/minor device numbers of a NF3CHR/NF3BLK.
[XdrType]
public partial struct SpecData3
{
    public uint SpecData1;
    public uint SpecData2;
}

// RFC 1813 §2.6 nfs_fh3: struct nfs_fh3 { opaque data<NFS3_FHSIZE>; }
[XdrType]
public partial struct NfsFh3
{
    /// <summary>The handle bytes: on decode a slice of the record buffer, valid as long as it is.</summary>
    [XdrMaxLength(64)]
    public ReadOnlyMemory<byte> Data;
}

// RFC 1813 §2.6 nfstime3.
[XdrType]
public partial struct NfsTime3
{
    public uint Seconds;
    public uint NSeconds;
}

// RFC 1813 §2.6 fattr3.
[XdrType]
public partial struct FAttr3
{
    public Ftype3 Type;
    public uint Mode;
    public uint NLink;
    public uint Uid;
    public uint Gid;
    public ulong Size;
    public ulong Used;
    public SpecData3 Rdev;
    public ulong Fsid;
    public ulong FileId;
    public NfsTime3 ATime;
    public NfsTime3 MTime;
    public NfsTime3 CTime;
}

// RFC 1813 §2.6 post_op_attr: union switch (bool attributes_follow) { case TRUE: fattr3 attributes; case FALSE: void; }
// The same bytes as optional-data "fattr3 *attributes".
[XdrType]
public partial struct PostOpAttr
{
    public FAttr3? Attributes;
}

// RFC 1813 §2.6 wcc_attr: the attributes a client compares for weak cache consistency.
[XdrType]
public partial struct WccAttr
{
    public ulong Size;
    public NfsTime3 MTime;
    public NfsTime3 CTime;
}

// RFC 1813 §2.6 pre_op_attr: union switch (bool attributes_follow) { case TRUE: wcc_attr attributes; case FALSE: void; }
[XdrType]
public partial struct PreOpAttr
{
    public WccAttr? Attributes;
}

// RFC 1813 §2.6 wcc_data.
[XdrType]
public partial struct WccData
{
    public PreOpAttr Before;
    public PostOpAttr After;
}

// RFC 1813 §2.6 post_op_fh3: union switch (bool handle_follows) { case TRUE: nfs_fh3 handle; case FALSE: void; }
[XdrType]
public partial struct PostOpFh3
{
    public NfsFh3? Handle;
}

// RFC 1813 §2.6 set_mode3, set_uid3, set_gid3 (one wire form):
//   union set_mode3 switch (bool set_it) { case TRUE: mode3 mode; default: void; };
[XdrUnion(DefaultIsVoid = true)]
public partial struct SetUInt32
{
    [XdrDiscriminant]
    public bool Set;

    [XdrCase(true)]
    public uint Value;
}

// RFC 1813 §2.6 set_size3: union set_size3 switch (bool set_it) { case TRUE: size3 size; default: void; };
[XdrUnion(DefaultIsVoid = true)]
public partial struct SetUInt64
{
    [XdrDiscriminant]
    public bool Set;

    [XdrCase(true)]
    public ulong Value;
}

// RFC 1813 §2.6 set_atime, set_mtime (one wire form):
//   union set_atime switch (time_how set_it) { case SET_TO_CLIENT_TIME: nfstime3 atime; default: void; };
[XdrUnion(DefaultIsVoid = true)]
public partial struct SetTime
{
    [XdrDiscriminant]
    public TimeHow Set;

    [XdrCase(TimeHow.SetToClientTime)]
    public NfsTime3 Time;
}

// RFC 1813 §2.6 sattr3.
[XdrType]
public partial struct SAttr3
{
    public SetUInt32 Mode;
    public SetUInt32 Uid;
    public SetUInt32 Gid;
    public SetUInt64 Size;
    public SetTime ATime;
    public SetTime MTime;
}

// RFC 1813 §2.6 diropargs3: struct diropargs3 { nfs_fh3 dir; filename3 name; };
[XdrType]
public partial struct DirOpArgs3
{
    public NfsFh3 Dir;

    /// <summary>filename3, raw bytes (usually UTF-8); the handler checks length and content.</summary>
    [XdrMaxLength(4096)]
    public ReadOnlyMemory<byte> Name;
}
