using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.20 PATHCONF3args.
[XdrType]
public partial struct PathConf3Args
{
    public NfsFh3 Object;
}

// RFC 1813 §3.3.20 PATHCONF3resok:
//   struct PATHCONF3resok {
//       post_op_attr obj_attributes; uint32 linkmax; uint32 name_max;
//       bool no_trunc; bool chown_restricted; bool case_insensitive; bool case_preserving;
//   };
[XdrType]
public partial struct PathConf3ResOk
{
    public PostOpAttr ObjAttributes;
    public uint LinkMax;
    public uint NameMax;
    public bool NoTrunc;
    public bool ChownRestricted;
    public bool CaseInsensitive;
    public bool CasePreserving;
}

// RFC 1813 §3.3.20 PATHCONF3resfail.
[XdrType]
public partial struct PathConf3ResFail
{
    public PostOpAttr ObjAttributes;
}

// RFC 1813 §3.3.20 PATHCONF3res.
[XdrUnion]
public partial struct PathConf3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public PathConf3ResOk ResOk;

    [XdrDefault]
    public PathConf3ResFail ResFail;
}
