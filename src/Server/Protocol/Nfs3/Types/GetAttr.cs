using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.1 GETATTR3args.
[XdrType]
public partial struct GetAttr3Args
{
    public NfsFh3 Object;
}

// RFC 1813 §3.3.1 GETATTR3resok.
[XdrType]
public partial struct GetAttr3ResOk
{
    public FAttr3 ObjAttributes;
}

// RFC 1813 §3.3.1 GETATTR3res: union switch (nfsstat3 status) { case NFS3_OK: GETATTR3resok resok; default: void; };
[XdrUnion(DefaultIsVoid = true)]
public partial struct GetAttr3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public GetAttr3ResOk ResOk;
}
