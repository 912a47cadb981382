using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// REMOVE (RFC 1813 §3.3.12) and RMDIR (§3.3.13) have the same wire types:
// RMDIR3args/RMDIR3resok/RMDIR3resfail/RMDIR3res are the Remove3* types below.

// RFC 1813 §3.3.12 REMOVE3args, §3.3.13 RMDIR3args.
[XdrType]
public partial struct Remove3Args
{
    public DirOpArgs3 Object;
}

// RFC 1813 §3.3.12 REMOVE3resok, §3.3.13 RMDIR3resok.
[XdrType]
public partial struct Remove3ResOk
{
    public WccData DirWcc;
}

// RFC 1813 §3.3.12 REMOVE3resfail, §3.3.13 RMDIR3resfail.
[XdrType]
public partial struct Remove3ResFail
{
    public WccData DirWcc;
}

// RFC 1813 §3.3.12 REMOVE3res, §3.3.13 RMDIR3res.
[XdrUnion]
public partial struct Remove3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Remove3ResOk ResOk;

    [XdrDefault]
    public Remove3ResFail ResFail;
}
