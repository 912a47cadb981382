using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.16 READDIR3args.
[XdrType]
public partial struct ReadDir3Args
{
    public NfsFh3 Dir;
    public ulong Cookie;

    /// <summary>cookieverf3 (opaque[8]) read as one big-endian ulong.</summary>
    public ulong CookieVerf;

    public uint Count;
}

// RFC 1813 §3.3.16 entry3, a node of the linked list:
//   struct entry3 { fileid3 fileid; filename3 name; cookie3 cookie; entry3 *nextentry; };
[XdrType]
public sealed partial class Entry3
{
    public ulong FileId;

    [XdrMaxLength(4096)]
    public ReadOnlyMemory<byte> Name;

    public ulong Cookie;

    /// <summary>nextentry: null ends the list.</summary>
    public Entry3? Next;
}

// RFC 1813 §3.3.16 dirlist3: struct dirlist3 { entry3 *entries; bool eof; };
[XdrType]
public partial struct DirList3
{
    /// <summary>First entry, null for an empty list.</summary>
    public Entry3? Entries;

    public bool Eof;
}

// RFC 1813 §3.3.16 READDIR3resok.
[XdrType]
public partial struct ReadDir3ResOk
{
    public PostOpAttr DirAttributes;

    /// <summary>cookieverf3 (opaque[8]) as one big-endian ulong.</summary>
    public ulong CookieVerf;

    public DirList3 Reply;
}

// RFC 1813 §3.3.16 READDIR3resfail.
[XdrType]
public partial struct ReadDir3ResFail
{
    public PostOpAttr DirAttributes;
}

// RFC 1813 §3.3.16 READDIR3res.
[XdrUnion]
public partial struct ReadDir3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public ReadDir3ResOk ResOk;

    [XdrDefault]
    public ReadDir3ResFail ResFail;
}
