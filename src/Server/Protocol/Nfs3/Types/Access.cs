using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.4 ACCESS3_* bits of the access mask (kept a plain uint on the wire).
public static class Access3
{
    public const uint Read = 0x0001;
    public const uint Lookup = 0x0002;
    public const uint Modify = 0x0004;
    public const uint Extend = 0x0008;
    public const uint Delete = 0x0010;
    public const uint Execute = 0x0020;
}

// RFC 1813 §3.3.4 ACCESS3args.
[XdrType]
public partial struct Access3Args
{
    public NfsFh3 Object;

    /// <summary>Mask of <see cref="Access3"/> bits.</summary>
    public uint Access;
}

// RFC 1813 §3.3.4 ACCESS3resok.
[XdrType]
public partial struct Access3ResOk
{
    public PostOpAttr ObjAttributes;

    /// <summary>Mask of <see cref="Access3"/> bits.</summary>
    public uint Access;
}

// RFC 1813 §3.3.4 ACCESS3resfail.
[XdrType]
public partial struct Access3ResFail
{
    public PostOpAttr ObjAttributes;
}

// RFC 1813 §3.3.4 ACCESS3res.
[XdrUnion]
public partial struct Access3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Access3ResOk ResOk;

    [XdrDefault]
    public Access3ResFail ResFail;
}
