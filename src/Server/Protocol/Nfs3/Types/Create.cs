using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.8 createhow3:
//   union createhow3 switch (createmode3 mode) {
//   case UNCHECKED:
//   case GUARDED:   sattr3 obj_attributes;
//   case EXCLUSIVE: createverf3 verf;
//   };
// No default arm: any other mode is a decode error (GARBAGE_ARGS).
[XdrUnion]
public partial struct CreateHow3
{
    [XdrDiscriminant]
    public CreateMode3 Mode;

    [XdrCase(CreateMode3.Unchecked, CreateMode3.Guarded)]
    public SAttr3 ObjAttributes;

    /// <summary>createverf3 (opaque[8]) read as one big-endian ulong.</summary>
    [XdrCase(CreateMode3.Exclusive)]
    public ulong Verf;
}

// RFC 1813 §3.3.8 CREATE3args.
[XdrType]
public partial struct Create3Args
{
    public DirOpArgs3 Where;
    public CreateHow3 How;
}

// RFC 1813 §3.3.8 CREATE3resok.
[XdrType]
public partial struct Create3ResOk
{
    public PostOpFh3 Obj;
    public PostOpAttr ObjAttributes;
    public WccData DirWcc;
}

// RFC 1813 §3.3.8 CREATE3resfail.
[XdrType]
public partial struct Create3ResFail
{
    public WccData DirWcc;
}

// RFC 1813 §3.3.8 CREATE3res.
[XdrUnion]
public partial struct Create3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Create3ResOk ResOk;

    [XdrDefault]
    public Create3ResFail ResFail;
}
