using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.14 RENAME3args.
[XdrType]
public partial struct Rename3Args
{
    public DirOpArgs3 From;
    public DirOpArgs3 To;
}

// RFC 1813 §3.3.14 RENAME3resok.
[XdrType]
public partial struct Rename3ResOk
{
    public WccData FromDirWcc;
    public WccData ToDirWcc;
}

// RFC 1813 §3.3.14 RENAME3resfail.
[XdrType]
public partial struct Rename3ResFail
{
    public WccData FromDirWcc;
    public WccData ToDirWcc;
}

// RFC 1813 §3.3.14 RENAME3res.
[XdrUnion]
public partial struct Rename3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Rename3ResOk ResOk;

    [XdrDefault]
    public Rename3ResFail ResFail;
}
