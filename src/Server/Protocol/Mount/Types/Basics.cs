using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Mount;

// MOUNT protocol version 3, RFC 1813 appendix I (program 100005, version 3).

/// <summary>The limits of RFC 1813 appendix I: MNTPATHLEN, MNTNAMLEN, FHSIZE3.</summary>
public static class MountLimits
{
    public const int MntPathLen = 1024;
    public const int MntNamLen = 255;
    public const int FhSize3 = 64;
}

// RFC 1813 §5.2 (appendix I): the procedures of MOUNT version 3.
public enum MountProcedure : uint
{
    Null = 0,
    Mnt = 1,
    Dump = 2,
    Umnt = 3,
    UmntAll = 4,
    Export = 5,
}

// RFC 1813 §5.1.5 mountstat3.
public enum MountStatus : int
{
    /// <summary>MNT3_OK</summary>
    Ok = 0,
    /// <summary>MNT3ERR_PERM</summary>
    Perm = 1,
    /// <summary>MNT3ERR_NOENT</summary>
    NoEnt = 2,
    /// <summary>MNT3ERR_IO</summary>
    Io = 5,
    /// <summary>MNT3ERR_ACCES</summary>
    Acces = 13,
    /// <summary>MNT3ERR_NOTDIR</summary>
    NotDir = 20,
    /// <summary>MNT3ERR_INVAL</summary>
    Inval = 22,
    /// <summary>MNT3ERR_NAMETOOLONG</summary>
    NameTooLong = 63,
    /// <summary>MNT3ERR_NOTSUPP</summary>
    NotSupp = 10004,
    /// <summary>MNT3ERR_SERVERFAULT</summary>
    ServerFault = 10006,
}

// RFC 1813 §5.1.5 dirpath: the argument of MNT (§5.2.1) and UMNT (§5.2.3).
//   typedef string dirpath<MNTPATHLEN>;
[XdrType]
public partial struct DirPathArgs
{
    [XdrMaxLength(1024)]
    public string DirPath;
}
