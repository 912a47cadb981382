using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.17 READDIRPLUS3args.
[XdrType]
public partial struct ReadDirPlus3Args
{
    public NfsFh3 Dir;
    public ulong Cookie;

    /// <summary>cookieverf3 (opaque[8]) read as one big-endian ulong.</summary>
    public ulong CookieVerf;

    public uint DirCount;
    public uint MaxCount;
}

// RFC 1813 §3.3.17 entryplus3, a node of the linked list:
//   struct entryplus3 {
//       fileid3 fileid; filename3 name; cookie3 cookie;
//       post_op_attr name_attributes; post_op_fh3 name_handle;
//       entryplus3 *nextentry;
//   };
[XdrType]
public sealed partial class EntryPlus3
{
    public ulong FileId;

    [XdrMaxLength(4096)]
    public ReadOnlyMemory<byte> Name;

    public ulong Cookie;
    public PostOpAttr NameAttributes;
    public PostOpFh3 NameHandle;

    /// <summary>nextentry: null ends the list.</summary>
    public EntryPlus3? Next;
}

// RFC 1813 §3.3.17 dirlistplus3: struct dirlistplus3 { entryplus3 *entries; bool eof; };
[XdrType]
public partial struct DirListPlus3
{
    /// <summary>First entry, null for an empty list.</summary>
    public EntryPlus3? Entries;

    public bool Eof;
}

// RFC 1813 §3.3.17 READDIRPLUS3resok.
[XdrType]
public partial struct ReadDirPlus3ResOk
{
    public PostOpAttr DirAttributes;

    /// <summary>cookieverf3 (opaque[8]) as one big-endian ulong.</summary>
    public ulong CookieVerf;

    public DirListPlus3 Reply;
}

// RFC 1813 §3.3.17 READDIRPLUS3resfail.
[XdrType]
public partial struct ReadDirPlus3ResFail
{
    public PostOpAttr DirAttributes;
}

// RFC 1813 §3.3.17 READDIRPLUS3res.
[XdrUnion]
public partial struct ReadDirPlus3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public ReadDirPlus3ResOk ResOk;

    [XdrDefault]
    public ReadDirPlus3ResFail ResFail;
}
