using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.1 ACCESS, §18.7 GETATTR, §18.30 SETATTR, §18.31 VERIFY, §18.15 NVERIFY.

// RFC 8881 §18.1.1 ACCESS4args: struct ACCESS4args { uint32_t access; };
[XdrType]
internal partial struct Access4Args
{
    public uint Access;
}

// RFC 8881 §18.1.2 ACCESS4resok: struct ACCESS4resok { uint32_t supported; uint32_t access; };
[XdrType]
internal partial struct Access4ResOk
{
    public uint Supported;
    public uint Access;
}

// RFC 8881 §18.7.1 GETATTR4args: struct GETATTR4args { bitmap4 attr_request; };
[XdrType]
internal partial struct GetAttr4Args
{
    public Bitmap4 AttrRequest;
}

// RFC 8881 §18.30.1 SETATTR4args: struct SETATTR4args { stateid4 stateid; fattr4 obj_attributes; };
[XdrType]
internal partial struct SetAttr4Args
{
    public Stateid4 Stateid;
    public Fattr4 ObjAttributes;
}

// RFC 8881 §18.31.1 VERIFY4args: struct VERIFY4args { fattr4 obj_attributes; };  (NVERIFY4args the same)
[XdrType]
internal partial struct Verify4Args
{
    public Fattr4 ObjAttributes;
}

// RFC 8881 §18.7.2 GETATTR4resok: struct GETATTR4resok { fattr4 obj_attributes; };
// The server fills the fattr4 with FAttr4.Build (attr_vals by hand, see there) and encodes this.
[XdrType]
internal partial struct GetAttr4ResOk
{
    public Fattr4 ObjAttributes;
}
