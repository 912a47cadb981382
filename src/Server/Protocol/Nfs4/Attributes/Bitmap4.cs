using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4.Attributes;

/// <summary>
/// RFC 8881 §3.3.7 bitmap4 (uint32 words&lt;&gt;), the first three words inline (attribute ids 0..95).
/// Bits past word 2 are remembered only as "some unknown bit was set".
/// </summary>
internal struct Bitmap4 : IXdrCodec<Bitmap4>
{
    public uint W0;
    public uint W1;
    public uint W2;
    public bool HasBitsBeyond;

    public Bitmap4(uint w0, uint w1, uint w2)
    {
        W0 = w0;
        W1 = w1;
        W2 = w2;
    }

    public readonly bool IsEmpty => W0 == 0 && W1 == 0 && W2 == 0;

    public readonly bool Has(int bit) => bit switch
    {
        < 32 => (W0 & (1u << bit)) != 0,
        < 64 => (W1 & (1u << (bit - 32))) != 0,
        < 96 => (W2 & (1u << (bit - 64))) != 0,
        _ => false,
    };

    public void Set(int bit)
    {
        if (bit < 32) W0 |= 1u << bit;
        else if (bit < 64) W1 |= 1u << (bit - 32);
        else if (bit < 96) W2 |= 1u << (bit - 64);
    }

    public static Bitmap4 operator &(Bitmap4 a, Bitmap4 b) => new(a.W0 & b.W0, a.W1 & b.W1, a.W2 & b.W2);

    public static Bitmap4 operator |(Bitmap4 a, Bitmap4 b) => new(a.W0 | b.W0, a.W1 | b.W1, a.W2 | b.W2);

    public static Bitmap4 operator ~(Bitmap4 a) => new(~a.W0, ~a.W1, ~a.W2);

    /// <summary>True when every bit set here is also set in <paramref name="other"/>.</summary>
    public readonly bool IsSubsetOf(Bitmap4 other) => !HasBitsBeyond && (W0 & ~other.W0) == 0 && (W1 & ~other.W1) == 0 && (W2 & ~other.W2) == 0;

    public static Bitmap4 Read(ref XdrReader reader)
    {
        int count = reader.ReadArrayLength(64);
        var map = default(Bitmap4);
        for (int i = 0; i < count; i++)
        {
            uint word = reader.ReadUInt32();
            switch (i)
            {
                case 0: map.W0 = word; break;
                case 1: map.W1 = word; break;
                case 2: map.W2 = word; break;
                default: if (word != 0) map.HasBitsBeyond = true; break;
            }
        }
        return map;
    }

    /// <summary>The generated codecs' entry point: words past the third are checked, not kept (no allocation).</summary>
    public static Bitmap4 Decode(ref XdrReader reader) => Read(ref reader);

    public readonly void Encode(ref XdrWriter writer) => Write(ref writer);

    public readonly int WordCount => W2 != 0 ? 3 : W1 != 0 ? 2 : W0 != 0 ? 1 : 0;

    /// <summary>Bytes on the wire.</summary>
    public readonly int EncodedSize => 4 + 4 * WordCount;

    public readonly void Write(ref XdrWriter writer)
    {
        int count = WordCount;
        writer.WriteInt32(count);
        if (count > 0) writer.WriteUInt32(W0);
        if (count > 1) writer.WriteUInt32(W1);
        if (count > 2) writer.WriteUInt32(W2);
    }
}
