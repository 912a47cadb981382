using System.Buffers;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.7 WRITE3args:
//   struct WRITE3args { nfs_fh3 file; offset3 offset; count3 count; stable_how stable; opaque data<>; };
[XdrType]
public partial struct Write3Args
{
    public NfsFh3 File;
    public ulong Offset;
    public uint Count;
    public StableHow Stable;

    /// <summary>
    /// The data as a slice of the (possibly multi-segment) record buffer, never copied.
    /// The handler checks Count against Data.Length (RFC: they must match).
    /// </summary>
    public ReadOnlySequence<byte> Data;
}

// RFC 1813 §3.3.7 WRITE3resok:
//   struct WRITE3resok { wcc_data file_wcc; count3 count; stable_how committed; writeverf3 verf; };
[XdrType]
public partial struct Write3ResOk
{
    public WccData FileWcc;
    public uint Count;
    public StableHow Committed;

    /// <summary>writeverf3 (opaque[8]) read as one big-endian ulong.</summary>
    public ulong Verf;
}

// RFC 1813 §3.3.7 WRITE3resfail.
[XdrType]
public partial struct Write3ResFail
{
    public WccData FileWcc;
}

// RFC 1813 §3.3.7 WRITE3res.
[XdrUnion]
public partial struct Write3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public Write3ResOk ResOk;

    [XdrDefault]
    public Write3ResFail ResFail;
}
