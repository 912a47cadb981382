using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.6 READ3args.
[XdrType]
public partial struct Read3Args
{
    public NfsFh3 File;
    public ulong Offset;
    public uint Count;
}

// RFC 1813 §3.3.6 READ3resok:
//   struct READ3resok { post_op_attr file_attributes; count3 count; bool eof; opaque data<>; };
[XdrType]
public partial struct Read3ResOk
{
    public PostOpAttr FileAttributes;
    public uint Count;
    public bool Eof;

    /// <summary>The bytes read; Count must equal Data.Length.</summary>
    public ReadOnlyMemory<byte> Data;
}

// RFC 1813 §3.3.6 READ3resfail.
[XdrType]
public partial struct Read3ResFail
{
    public PostOpAttr FileAttributes;
}

// RFC 1813 §3.3.6 READ3res.
[XdrUnion]
public partial struct Read3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Read3ResOk ResOk;

    [XdrDefault]
    public Read3ResFail ResFail;
}
