using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.4 CREATE, §18.9 LINK, §18.25 REMOVE, §18.26 RENAME, §18.24 READLINK, §18.23 READDIR.

// RFC 8881 §18.4.1 createtype4:
//   union createtype4 switch (nfs_ftype4 type) {
//     case NF4LNK: linktext4 linkdata; case NF4BLK: case NF4CHR: specdata4 devdata;
//     case NF4SOCK: case NF4FIFO: case NF4DIR: void; default: void; };
// The handler answers BADTYPE for the default types.
[XdrUnion(DefaultIsVoid = true)]
[XdrVoidCase(Nfs4Const.Nf4Sock, Nfs4Const.Nf4Fifo, Nfs4Const.Nf4Dir)]
internal partial struct CreateType4
{
    [XdrDiscriminant]
    public uint Type;

    [XdrCase(Nfs4Const.Nf4Lnk)]
    [XdrMaxLength(Nfs4Limits.MaxLinkText)]
    public ReadOnlyMemory<byte> LinkData;

    [XdrCase(Nfs4Const.Nf4Blk, Nfs4Const.Nf4Chr)]
    public SpecData4 DevData;
}

// RFC 8881 §18.4.1 CREATE4args: struct CREATE4args { createtype4 objtype; component4 objname; fattr4 createattrs; };
[XdrType]
internal partial struct Create4Args
{
    public CreateType4 ObjType;

    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> ObjName;

    public Fattr4 CreateAttrs;
}

// RFC 8881 §18.4.2 CREATE4resok: struct CREATE4resok { change_info4 cinfo; bitmap4 attrset; };
[XdrType]
internal partial struct Create4ResOk
{
    public ChangeInfo4 CInfo;
    public Bitmap4 Attrset;
}

// RFC 8881 §18.9.1 LINK4args: struct LINK4args { component4 newname; };
[XdrType]
internal partial struct Link4Args
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> NewName;
}

// RFC 8881 §18.25.1 REMOVE4args: struct REMOVE4args { component4 target; };
[XdrType]
internal partial struct Remove4Args
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Target;
}

// RFC 8881 §18.9.2 LINK4resok / §18.25.2 REMOVE4resok: struct LINK4resok { change_info4 cinfo; };
[XdrType]
internal partial struct ChangeInfo4ResOk
{
    public ChangeInfo4 CInfo;
}

// RFC 8881 §18.26.1 RENAME4args: struct RENAME4args { component4 oldname; component4 newname; };
[XdrType]
internal partial struct Rename4Args
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> OldName;

    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> NewName;

    public readonly void Deconstruct(out ReadOnlyMemory<byte> oldName, out ReadOnlyMemory<byte> newName) => (oldName, newName) = (OldName, NewName);
}

// RFC 8881 §18.26.2 RENAME4resok: struct RENAME4resok { change_info4 source_cinfo; change_info4 target_cinfo; };
[XdrType]
internal partial struct Rename4ResOk
{
    public ChangeInfo4 SourceCInfo;
    public ChangeInfo4 TargetCInfo;
}

// RFC 8881 §18.24.2 READLINK4resok: struct READLINK4resok { linktext4 link; };
[XdrType]
internal partial struct ReadLink4ResOk
{
    [XdrMaxLength(Nfs4Limits.MaxLinkText)]
    public ReadOnlyMemory<byte> Link;
}

// RFC 8881 §18.23.1 READDIR4args:
//   struct READDIR4args { nfs_cookie4 cookie; verifier4 cookieverf; count4 dircount; count4 maxcount; bitmap4 attr_request; };
[XdrType]
internal partial struct ReadDir4Args
{
    public ulong Cookie;
    public ulong CookieVerf;
    public uint DirCount;
    public uint MaxCount;
    public Bitmap4 AttrRequest;

    public readonly void Deconstruct(out ulong cookie, out ulong cookieVerf, out uint dirCount, out uint maxCount, out Bitmap4 attrRequest) =>
        (cookie, cookieVerf, dirCount, maxCount, attrRequest) = (Cookie, CookieVerf, DirCount, MaxCount, AttrRequest);
}

// RFC 8881 §18.23.2 entry4: struct entry4 { nfs_cookie4 cookie; component4 name; fattr4 attrs; entry4 *nextentry; };
// Without nextentry: READDIR writes the list's links (a bool before each entry, FALSE after the last) itself,
// so that entries stream into the reply until its byte budget, not built as a linked list first.
[XdrType]
internal partial struct Entry4
{
    public ulong Cookie;

    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Name;

    public Fattr4 Attrs;
}
