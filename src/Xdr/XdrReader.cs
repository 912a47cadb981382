using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace DittoFs.Xdr;

/// <summary>
/// Reads XDR (RFC 4506) from one whole record. The record may span several
/// buffer segments; opaque data comes back as a slice of the input, never a
/// copy, so it stays valid only as long as the caller's buffer does.
/// Malformed input throws <see cref="XdrException"/>.
/// </summary>
public ref struct XdrReader
{
    private SequenceReader<byte> _reader;

    public XdrReader(ReadOnlySequence<byte> input) => _reader = new SequenceReader<byte>(input);

    public XdrReader(ReadOnlyMemory<byte> input) => _reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));

    /// <summary>Bytes not yet read.</summary>
    public readonly long Remaining => _reader.Remaining;

    /// <summary>Bytes read so far.</summary>
    public readonly long Consumed => _reader.Consumed;

    public readonly bool End => _reader.End;

    /// <summary>The unread rest of the input.</summary>
    public readonly ReadOnlySequence<byte> UnreadSequence => _reader.UnreadSequence;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadInt32()
    {
        if (!_reader.TryReadBigEndian(out int value)) XdrException.ThrowTruncated();
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadUInt32() => unchecked((uint)ReadInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadInt64()
    {
        if (!_reader.TryReadBigEndian(out long value)) XdrException.ThrowTruncated();
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadUInt64() => unchecked((ulong)ReadInt64());

    /// <summary>An XDR bool is an int that must be 0 or 1.</summary>
    public bool ReadBool()
    {
        int value = ReadInt32();
        if ((uint)value > 1) XdrException.Throw($"XDR bool has value {value}");
        return value == 1;
    }

    public float ReadSingle() => BitConverter.Int32BitsToSingle(ReadInt32());

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    /// <summary>Variable-length opaque: length, bytes, zero padding to 4.</summary>
    public ReadOnlySequence<byte> ReadOpaque(int maxLength = int.MaxValue)
    {
        uint length = ReadUInt32();
        if (length > (uint)maxLength) XdrException.ThrowTooLong(length, maxLength);
        return ReadFixedOpaque((int)length);
    }

    /// <summary>Fixed-length opaque of <paramref name="length"/> bytes plus zero padding to 4.</summary>
    public ReadOnlySequence<byte> ReadFixedOpaque(int length)
    {
        int padded = Pad(length);
        if (_reader.Remaining < (long)length + padded) XdrException.ThrowTruncated();
        ReadOnlySequence<byte> data = _reader.UnreadSequence.Slice(0, length);
        _reader.Advance(length);
        SkipPadding(padded);
        return data;
    }

    /// <summary>Fixed-length opaque copied into <paramref name="destination"/> (whose length is the XDR length).</summary>
    public void ReadFixedOpaque(Span<byte> destination)
    {
        int padded = Pad(destination.Length);
        if (!_reader.TryCopyTo(destination)) XdrException.ThrowTruncated();
        _reader.Advance(destination.Length);
        if (_reader.Remaining < padded) XdrException.ThrowTruncated();
        SkipPadding(padded);
    }

    /// <summary>Variable-length opaque as a contiguous block: no copy when it lies in one segment.</summary>
    public ReadOnlyMemory<byte> ReadOpaqueMemory(int maxLength = int.MaxValue) => ToMemory(ReadOpaque(maxLength));

    public ReadOnlyMemory<byte> ReadFixedOpaqueMemory(int length) => ToMemory(ReadFixedOpaque(length));

    public byte[] ReadOpaqueArray(int maxLength = int.MaxValue) => ReadOpaque(maxLength).ToArray();

    public byte[] ReadFixedOpaqueArray(int length) => ReadFixedOpaque(length).ToArray();

    /// <summary>XDR string decoded as UTF-8 (allocates; hot paths use <see cref="ReadOpaque"/>).</summary>
    public string ReadString(int maxLength = int.MaxValue)
    {
        ReadOnlySequence<byte> bytes = ReadOpaque(maxLength);
        return bytes.IsSingleSegment ? Encoding.UTF8.GetString(bytes.FirstSpan) : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Length of an array, checked against its bound and against what is left in the record.</summary>
    public int ReadArrayLength(int maxLength = int.MaxValue, int minElementSize = 4)
    {
        uint length = ReadUInt32();
        if (length > (uint)maxLength) XdrException.ThrowTooLong(length, maxLength);
        // Every element takes at least minElementSize bytes: a count the record cannot hold is a lie.
        if ((long)length * Math.Max(minElementSize, 1) > _reader.Remaining) XdrException.ThrowTruncated();
        return (int)length;
    }

    public void Skip(int count)
    {
        if (_reader.Remaining < count) XdrException.ThrowTruncated();
        _reader.Advance(count);
    }

    private void SkipPadding(int padded)
    {
        if (padded == 0) return;
        Span<byte> pad = stackalloc byte[4];
        pad = pad[..padded];
        if (!_reader.TryCopyTo(pad)) XdrException.ThrowTruncated();
        _reader.Advance(padded);
        foreach (byte b in pad)
        {
            if (b != 0) XdrException.Throw("XDR padding is not zero");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pad(int length) => (4 - (length & 3)) & 3;

    private static ReadOnlyMemory<byte> ToMemory(ReadOnlySequence<byte> data) =>
        data.IsSingleSegment ? data.First : data.ToArray();
}
