using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.19 FSF3_* bits of FSINFO3resok.properties.
public static class FsInfoProperties
{
    public const uint Link = 0x0001;
    public const uint Symlink = 0x0002;
    public const uint Homogeneous = 0x0008;
    public const uint CanSetTime = 0x0010;
}

// RFC 1813 §3.3.19 FSINFO3args.
[XdrType]
public partial struct FsInfo3Args
{
    public NfsFh3 FsRoot;
}

// RFC 1813 §3.3.19 FSINFO3resok:
//   struct FSINFO3resok {
//       post_op_attr obj_attributes;
//       uint32 rtmax; uint32 rtpref; uint32 rtmult;
//       uint32 wtmax; uint32 wtpref; uint32 wtmult;
//       uint32 dtpref;
//       size3 maxfilesize; nfstime3 time_delta; uint32 properties;
//   };
[XdrType]
public partial struct FsInfo3ResOk
{
    public PostOpAttr ObjAttributes;
    public uint RtMax;
    public uint RtPref;
    public uint RtMult;
    public uint WtMax;
    public uint WtPref;
    public uint WtMult;
    public uint DtPref;
    public ulong MaxFileSize;
    public NfsTime3 TimeDelta;

    /// <summary>Mask of <see cref="FsInfoProperties"/> bits.</summary>
    public uint Properties;
}

// RFC 1813 §3.3.19 FSINFO3resfail.
[XdrType]
public partial struct FsInfo3ResFail
{
    public PostOpAttr ObjAttributes;
}

// RFC 1813 §3.3.19 FSINFO3res.
[XdrUnion]
public partial struct FsInfo3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public FsInfo3ResOk ResOk;

    [XdrDefault]
    public FsInfo3ResFail ResFail;
}
