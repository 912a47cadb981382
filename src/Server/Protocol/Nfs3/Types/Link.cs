using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.15 LINK3args.
[XdrType]
public partial struct Link3Args
{
    public NfsFh3 File;
    public DirOpArgs3 Link;
}

// RFC 1813 §3.3.15 LINK3resok.
[XdrType]
public partial struct Link3ResOk
{
    public PostOpAttr FileAttributes;
    public WccData LinkDirWcc;
}

// RFC 1813 §3.3.15 LINK3resfail.
[XdrType]
public partial struct Link3ResFail
{
    public PostOpAttr FileAttributes;
    public WccData LinkDirWcc;
}

// RFC 1813 §3.3.15 LINK3res.
[XdrUnion]
public partial struct Link3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Link3ResOk ResOk;

    [XdrDefault]
    public Link3ResFail ResFail;
}
