using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.3 LOOKUP3args.
[XdrType]
public partial struct Lookup3Args
{
    public DirOpArgs3 What;
}

// RFC 1813 §3.3.3 LOOKUP3resok.
[XdrType]
public partial struct Lookup3ResOk
{
    public NfsFh3 Object;
    public PostOpAttr ObjAttributes;
    public PostOpAttr DirAttributes;
}

// RFC 1813 §3.3.3 LOOKUP3resfail.
[XdrType]
public partial struct Lookup3ResFail
{
    public PostOpAttr DirAttributes;
}

// RFC 1813 §3.3.3 LOOKUP3res.
[XdrUnion]
public partial struct Lookup3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Lookup3ResOk ResOk;

    [XdrDefault]
    public Lookup3ResFail ResFail;
}
