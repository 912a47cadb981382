using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace DittoFs.Xdr;

/// <summary>
/// Writes XDR (RFC 4506) into an <see cref="IBufferWriter{T}"/> (a pooled
/// buffer or a PipeWriter). Writes go into a span borrowed from the output;
/// call <see cref="Flush"/> once at the end to commit what was written.
/// </summary>
public ref struct XdrWriter
{
    private const int MinimumBuffer = 256;

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _buffered;
    private long _committed;

    public XdrWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _span = output.GetSpan(MinimumBuffer);
        _buffered = 0;
        _committed = 0;
    }

    /// <summary>Bytes written through this writer (committed or still buffered).</summary>
    public readonly long BytesWritten => _committed + _buffered;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);
        _buffered += 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUInt32(uint value) => WriteInt32(unchecked((int)value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);
        _buffered += 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUInt64(ulong value) => WriteInt64(unchecked((long)value));

    public void WriteBool(bool value) => WriteInt32(value ? 1 : 0);

    public void WriteSingle(float value) => WriteInt32(BitConverter.SingleToInt32Bits(value));

    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    /// <summary>Variable-length opaque: length, bytes, zero padding.</summary>
    public void WriteOpaque(scoped ReadOnlySpan<byte> data)
    {
        WriteUInt32((uint)data.Length);
        WriteFixedOpaque(data);
    }

    public void WriteOpaque(in ReadOnlySequence<byte> data)
    {
        WriteUInt32((uint)data.Length);
        WriteFixedOpaque(data);
    }

    /// <summary>Fixed-length opaque: the bytes and zero padding, no length.</summary>
    public void WriteFixedOpaque(scoped ReadOnlySpan<byte> data)
    {
        WriteRaw(data);
        WritePadding(data.Length);
    }

    public void WriteFixedOpaque(in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            WriteRaw(data.FirstSpan);
        }
        else
        {
            foreach (ReadOnlyMemory<byte> segment in data) WriteRaw(segment.Span);
        }
        WritePadding((int)data.Length);
    }

    /// <summary>Fixed-length opaque of exactly <paramref name="length"/> bytes; shorter data is zero-filled, longer is an error.</summary>
    public void WriteFixedOpaque(scoped ReadOnlySpan<byte> data, int length)
    {
        if (data.Length > length) XdrException.ThrowTooLong(data.Length, length);
        WriteRaw(data);
        int fill = length - data.Length;
        if (fill > 0)
        {
            Span<byte> zeros = Reserve(fill);
            zeros[..fill].Clear();
            _buffered += fill;
        }
        WritePadding(length);
    }

    /// <summary>XDR string from UTF-16 (encodes to UTF-8).</summary>
    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32((uint)length);
        Span<byte> dest = Reserve(length);
        Encoding.UTF8.GetBytes(value, dest);
        _buffered += length;
        WritePadding(length);
    }

    /// <summary>XDR string from bytes already in UTF-8.</summary>
    public void WriteString(scoped ReadOnlySpan<byte> utf8) => WriteOpaque(utf8);

    /// <summary>A span of at least <paramref name="sizeHint"/> bytes to fill directly; then call <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int sizeHint) => Reserve(sizeHint);

    public void Advance(int count) => _buffered += count;

    /// <summary>Commits buffered bytes to the output. Call once when done.</summary>
    public void Flush()
    {
        if (_buffered == 0) return;
        _output.Advance(_buffered);
        _committed += _buffered;
        _buffered = 0;
        _span = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int size)
    {
        if (_span.Length - _buffered >= size) return _span[_buffered..];
        return Grow(size);
    }

    private Span<byte> Grow(int size)
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
            _committed += _buffered;
            _buffered = 0;
        }
        _span = _output.GetSpan(Math.Max(size, MinimumBuffer));
        return _span;
    }

    private void WriteRaw(scoped ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Span<byte> dest = _span.Length - _buffered > 0 ? _span[_buffered..] : Grow(Math.Min(data.Length, 64 * 1024));
            int n = Math.Min(dest.Length, data.Length);
            data[..n].CopyTo(dest);
            _buffered += n;
            data = data[n..];
        }
    }

    private void WritePadding(int length)
    {
        int pad = (4 - (length & 3)) & 3;
        if (pad == 0) return;
        Reserve(pad)[..pad].Clear();
        _buffered += pad;
    }
}
