using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.18 FSSTAT3args.
[XdrType]
public partial struct FsStat3Args
{
    public NfsFh3 FsRoot;
}

// RFC 1813 §3.3.18 FSSTAT3resok:
//   struct FSSTAT3resok {
//       post_op_attr obj_attributes;
//       size3 tbytes; size3 fbytes; size3 abytes;
//       size3 tfiles; size3 ffiles; size3 afiles;
//       uint32 invarsec;
//   };
[XdrType]
public partial struct FsStat3ResOk
{
    public PostOpAttr ObjAttributes;

    /// <summary>Total bytes.</summary>
    public ulong TBytes;

    /// <summary>Free bytes.</summary>
    public ulong FBytes;

    /// <summary>Bytes free to the caller.</summary>
    public ulong ABytes;

    /// <summary>Total file slots.</summary>
    public ulong TFiles;

    /// <summary>Free file slots.</summary>
    public ulong FFiles;

    /// <summary>File slots free to the caller.</summary>
    public ulong AFiles;

    /// <summary>Seconds the values are not expected to change.</summary>
    public uint InvarSec;
}

// RFC 1813 §3.3.18 FSSTAT3resfail.
[XdrType]
public partial struct FsStat3ResFail
{
    public PostOpAttr ObjAttributes;
}

// RFC 1813 §3.3.18 FSSTAT3res.
[XdrUnion]
public partial struct FsStat3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public FsStat3ResOk ResOk;

    [XdrDefault]
    public FsStat3ResFail ResFail;
}
