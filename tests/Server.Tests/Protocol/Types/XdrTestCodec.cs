using System.Buffers;
using System.Buffers.Binary;
using DittoFs.Xdr;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Types;

/// <summary>Encode/decode through the generated codecs, and hand assembly of expected big-endian bytes.</summary>
internal static class XdrTestCodec
{
    public static byte[] Encode<T>(T value) where T : IXdrCodec<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new XdrWriter(buffer);
        value.Encode(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes the whole input: leftover bytes fail the test.</summary>
    public static T Decode<T>(byte[] bytes) where T : IXdrCodec<T> => Decode<T>(new ReadOnlySequence<byte>(bytes));

    public static T Decode<T>(ReadOnlySequence<byte> bytes) where T : IXdrCodec<T>
    {
        var reader = new XdrReader(bytes);
        T value = T.Decode(ref reader);
        Assert.Equal(0, reader.Remaining);
        return value;
    }

    /// <summary>Decode then encode again gives the same bytes.</summary>
    public static T RoundTrip<T>(byte[] expected) where T : IXdrCodec<T>
    {
        T value = Decode<T>(expected);
        Assert.Equal(expected, Encode(value));
        return value;
    }

    // Hand assembly: one XDR word (4 bytes) or hyper (8 bytes), big-endian.
    public static byte[] W(uint value)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    public static byte[] W(int value) => W(unchecked((uint)value));

    public static byte[] H(ulong value)
    {
        byte[] b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        return b;
    }

    public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>A sequence split into segments at the given offsets (to test multi-segment records).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        Segment? first = null, last = null;
        int start = 0;
        foreach (int cut in cuts.Append(bytes.Length))
        {
            var memory = new ReadOnlyMemory<byte>(bytes, start, cut - start);
            if (first is null) first = last = new Segment(memory, 0);
            else last = last!.Append(memory);
            start = cut;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
