using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.9 MKDIR3args.
[XdrType]
public partial struct MkDir3Args
{
    public DirOpArgs3 Where;
    public SAttr3 Attributes;
}

// RFC 1813 §3.3.9 MKDIR3resok.
[XdrType]
public partial struct MkDir3ResOk
{
    public PostOpFh3 Obj;
    public PostOpAttr ObjAttributes;
    public WccData DirWcc;
}

// RFC 1813 §3.3.9 MKDIR3resfail.
[XdrType]
public partial struct MkDir3ResFail
{
    public WccData DirWcc;
}

// RFC 1813 §3.3.9 MKDIR3res.
[XdrUnion]
public partial struct MkDir3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public MkDir3ResOk ResOk;

    [XdrDefault]
    public MkDir3ResFail ResFail;
}
