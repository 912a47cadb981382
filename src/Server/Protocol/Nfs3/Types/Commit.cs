using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.21 COMMIT3args.
[XdrType]
public partial struct Commit3Args
{
    public NfsFh3 File;
    public ulong Offset;
    public uint Count;
}

// RFC 1813 §3.3.21 COMMIT3resok.
[XdrType]
public partial struct Commit3ResOk
{
    public WccData FileWcc;

    /// <summary>writeverf3 (opaque[8]) as one big-endian ulong.</summary>
    public ulong Verf;
}

// RFC 1813 §3.3.21 COMMIT3resfail.
[XdrType]
public partial struct Commit3ResFail
{
    public WccData FileWcc;
}

// RFC 1813 §3.3.21 COMMIT3res.
[XdrUnion]
public partial struct Commit3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Commit3ResOk ResOk;

    [XdrDefault]
    public Commit3ResFail ResFail;
}
