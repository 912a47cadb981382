using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.8 GETFH, §18.15 LOOKUP, §18.19 PUTFH, §18.29 SECINFO, §18.45 SECINFO_NO_NAME.

// RFC 8881 §18.19.1 PUTFH4args: struct PUTFH4args { nfs_fh4 object; };
[XdrType]
internal partial struct PutFh4Args
{
    public NfsFh4 Object;
}

// RFC 8881 §18.8.2 GETFH4resok: struct GETFH4resok { nfs_fh4 object; };
[XdrType]
internal partial struct GetFh4ResOk
{
    public NfsFh4 Object;
}

// RFC 8881 §18.15.1 LOOKUP4args: struct LOOKUP4args { component4 objname; };
[XdrType]
internal partial struct Lookup4Args
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> ObjName;
}

// RFC 8881 §18.29.1 SECINFO4args: struct SECINFO4args { component4 name; };
[XdrType]
internal partial struct SecInfo4Args
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Name;
}

// RFC 8881 §18.45.1 SECINFO_NO_NAME4args: typedef secinfo_style4 SECINFO_NO_NAME4args;
// secinfo_style4 is an enum: kept a uint so an unknown style is the handler's INVAL, not BADXDR.
[XdrType]
internal partial struct SecInfoNoName4Args
{
    public uint Style;
}
