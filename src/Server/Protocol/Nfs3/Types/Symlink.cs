using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.10 symlinkdata3.
[XdrType]
public partial struct SymlinkData3
{
    public SAttr3 SymlinkAttributes;

    /// <summary>nfspath3: the link target bytes.</summary>
    [XdrMaxLength(4096)]
    public ReadOnlyMemory<byte> SymlinkData;
}

// RFC 1813 §3.3.10 SYMLINK3args.
[XdrType]
public partial struct Symlink3Args
{
    public DirOpArgs3 Where;
    public SymlinkData3 Symlink;
}

// RFC 1813 §3.3.10 SYMLINK3resok.
[XdrType]
public partial struct Symlink3ResOk
{
    public PostOpFh3 Obj;
    public PostOpAttr ObjAttributes;
    public WccData DirWcc;
}

// RFC 1813 §3.3.10 SYMLINK3resfail.
[XdrType]
public partial struct Symlink3ResFail
{
    public WccData DirWcc;
}

// RFC 1813 §3.3.10 SYMLINK3res.
[XdrUnion]
public partial struct Symlink3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Symlink3ResOk ResOk;

    [XdrDefault]
    public Symlink3ResFail ResFail;
}
