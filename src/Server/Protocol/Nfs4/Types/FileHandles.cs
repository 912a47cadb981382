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

// RFC 8881 §18.29.2 rpcsec_gss_info: struct rpcsec_gss_info { sec_oid4 oid; qop4 qop; rpc_gss_svc_t service; };
[XdrType]
internal partial struct RpcSecGssInfo
{
    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Oid;

    public uint Qop;
    public uint Service;
}

// RFC 8881 §18.29.2 secinfo4:
//   union secinfo4 switch (uint32_t flavor) { case RPCSEC_GSS: rpcsec_gss_info flavor_info; default: void; };
[XdrUnion(DefaultIsVoid = true)]
internal partial struct SecInfo4
{
    [XdrDiscriminant]
    public uint Flavor;

    [XdrCase(Nfs4Const.RpcSecGss)]
    public RpcSecGssInfo FlavorInfo;
}

// RFC 8881 §18.29.2 SECINFO4resok: typedef secinfo4 SECINFO4resok<>;  (SECINFO_NO_NAME4resok the same)
[XdrType]
internal partial struct SecInfo4ResOk
{
    [XdrMaxLength(16)]
    public SecInfo4[] Flavors;
}
