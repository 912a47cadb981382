using System.Buffers;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8276 §8.4 GETXATTR, SETXATTR, LISTXATTRS, REMOVEXATTR (minor version 2). xattrkey4 is a component4
// (bounded here by the XDR limit of names; the handler checks XATTR_NAME_MAX), xattrvalue4 an opaque<>.

// RFC 8276 §8.4.1.1 GETXATTR4args: struct GETXATTR4args { xattrkey4 gxa_name; };  (REMOVEXATTR4args the same)
[XdrType]
internal partial struct GetXattr4Args
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Name;
}

// RFC 8276 §8.4.1.2 GETXATTR4res (NFS4_OK): xattrvalue4 gxr_value;
[XdrType]
internal partial struct GetXattr4ResOk
{
    public ReadOnlyMemory<byte> Value;
}

// RFC 8276 §8.4.2.1 SETXATTR4args: struct SETXATTR4args { setxattr_option4 sxa_option; xattrkey4 sxa_key; xattrvalue4 sxa_value; };
// setxattr_option4 stays a uint (an unknown one is INVAL); the value is a slice of the record, its size checked by the handler.
[XdrType]
internal partial struct SetXattr4Args
{
    public uint Option;

    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Key;

    public ReadOnlySequence<byte> Value;
}

// RFC 8276 §8.4.3.1 LISTXATTRS4args: struct LISTXATTRS4args { nfs_cookie4 lxa_cookie; count4 lxa_maxcount; };
// LISTXATTRS4resok { nfs_cookie4 lxr_cookie; xattrkey4 lxr_names<>; bool lxr_eof; } is written by the handler.
[XdrType]
internal partial struct ListXattrs4Args
{
    public ulong Cookie;
    public uint MaxCount;
}
