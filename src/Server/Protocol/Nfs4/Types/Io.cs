using System.Buffers;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.22 READ, §18.32 WRITE, §18.3 COMMIT.

// RFC 8881 §18.22.1 READ4args: struct READ4args { stateid4 stateid; offset4 offset; count4 count; };
[XdrType]
internal partial struct Read4Args
{
    public Stateid4 Stateid;
    public ulong Offset;
    public uint Count;

    public readonly void Deconstruct(out Stateid4 stateid, out ulong offset, out uint count) =>
        (stateid, offset, count) = (Stateid, Offset, Count);
}

// RFC 8881 §18.22.2 READ4resok: struct READ4resok { bool eof; opaque data<>; };
[XdrType]
internal partial struct Read4ResOk
{
    public bool Eof;

    /// <summary>The bytes read (encode: the pooled buffer; decode: a slice of the reply).</summary>
    public ReadOnlyMemory<byte> Data;
}

// RFC 8881 §18.32.1 WRITE4args: struct WRITE4args { stateid4 stateid; offset4 offset; stable_how4 stable; opaque data<>; };
// stable_how4 stays a uint: an unknown value is the handler's INVAL, not BADXDR.
[XdrType]
internal partial struct Write4Args
{
    public Stateid4 Stateid;
    public ulong Offset;
    public uint Stable;

    /// <summary>The data as a slice of the record, never copied.</summary>
    public ReadOnlySequence<byte> Data;

    public readonly void Deconstruct(out Stateid4 stateid, out ulong offset, out uint stable, out ReadOnlySequence<byte> data) =>
        (stateid, offset, stable, data) = (Stateid, Offset, Stable, Data);
}

// RFC 8881 §18.32.2 WRITE4resok: struct WRITE4resok { count4 count; stable_how4 committed; verifier4 writeverf; };
[XdrType]
internal partial struct Write4ResOk
{
    public uint Count;
    public uint Committed;
    public ulong WriteVerf;
}

// RFC 8881 §18.3.1 COMMIT4args: struct COMMIT4args { offset4 offset; count4 count; };
[XdrType]
internal partial struct Commit4Args
{
    public ulong Offset;
    public uint Count;

    public readonly void Deconstruct(out ulong offset, out uint count) => (offset, count) = (Offset, Count);
}

// RFC 8881 §18.3.2 COMMIT4resok: struct COMMIT4resok { verifier4 writeverf; };
[XdrType]
internal partial struct Commit4ResOk
{
    public ulong WriteVerf;
}
