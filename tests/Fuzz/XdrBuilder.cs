using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using DittoFs.Xdr;

namespace DittoFs.Fuzz;

/// <summary>A growable big-endian XDR byte builder for seeds and harness calls (allocation is fine here).</summary>
public sealed class XdrBuilder
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public XdrBuilder UInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        foreach (byte x in b) _bytes.Add(x);
        return this;
    }

    public XdrBuilder UInt64(ulong value) => UInt32((uint)(value >> 32)).UInt32((uint)value);

    public XdrBuilder Bool(bool value) => UInt32(value ? 1u : 0u);

    public XdrBuilder Raw(ReadOnlySpan<byte> bytes)
    {
        foreach (byte x in bytes) _bytes.Add(x);
        return this;
    }

    /// <summary>Fixed opaque: bytes and zero padding to 4.</summary>
    public XdrBuilder Fixed(ReadOnlySpan<byte> bytes)
    {
        Raw(bytes);
        for (int i = bytes.Length; (i & 3) != 0; i++) _bytes.Add(0);
        return this;
    }

    public XdrBuilder Opaque(ReadOnlySpan<byte> bytes) => UInt32((uint)bytes.Length).Fixed(bytes);

    public XdrBuilder String(string value) => Opaque(Encoding.UTF8.GetBytes(value));

    /// <summary>A value through its generated codec (the server's own XDR types).</summary>
    public XdrBuilder Write<T>(T value) where T : IXdrCodec<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        value.Encode(ref w);
        w.Flush();
        return Raw(buffer.WrittenSpan);
    }

    public byte[] ToArray() => [.. _bytes];
}
