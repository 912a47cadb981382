using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.2 sattrguard3:
//   union sattrguard3 switch (bool check) { case TRUE: nfstime3 obj_ctime; case FALSE: void; };
[XdrUnion(DefaultIsVoid = true)]
public partial struct SAttrGuard3
{
    [XdrDiscriminant]
    public bool Check;

    [XdrCase(true)]
    public NfsTime3 ObjCtime;
}

// RFC 1813 §3.3.2 SETATTR3args.
[XdrType]
public partial struct SetAttr3Args
{
    public NfsFh3 Object;
    public SAttr3 NewAttributes;
    public SAttrGuard3 Guard;
}

// RFC 1813 §3.3.2 SETATTR3resok.
[XdrType]
public partial struct SetAttr3ResOk
{
    public WccData ObjWcc;
}

// RFC 1813 §3.3.2 SETATTR3resfail.
[XdrType]
public partial struct SetAttr3ResFail
{
    public WccData ObjWcc;
}

// RFC 1813 §3.3.2 SETATTR3res.
[XdrUnion]
public partial struct SetAttr3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public SetAttr3ResOk ResOk;

    [XdrDefault]
    public SetAttr3ResFail ResFail;
}
