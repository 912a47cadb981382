using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.5 READLINK3args.
[XdrType]
public partial struct ReadLink3Args
{
    public NfsFh3 Symlink;
}

// RFC 1813 §3.3.5 READLINK3resok.
[XdrType]
public partial struct ReadLink3ResOk
{
    public PostOpAttr SymlinkAttributes;

    /// <summary>nfspath3: the link target bytes.</summary>
    [XdrMaxLength(4096)]
    public ReadOnlyMemory<byte> Data;
}

// RFC 1813 §3.3.5 READLINK3resfail.
[XdrType]
public partial struct ReadLink3ResFail
{
    public PostOpAttr SymlinkAttributes;
}

// RFC 1813 §3.3.5 READLINK3res.
[XdrUnion]
public partial struct ReadLink3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public ReadLink3ResOk ResOk;

    [XdrDefault]
    public ReadLink3ResFail ResFail;
}
