using System.Buffers;
using DittoFs.Xdr;
using Xunit;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>Encode/decode helpers over the generated IXdrCodec members.</summary>
internal static class XdrTest
{
    public static byte[] Encode<T>(T value) where T : IXdrCodec<T>
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new XdrWriter(output);
        value.Encode(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a whole record: leftover bytes fail the test.</summary>
    public static T Decode<T>(ReadOnlySequence<byte> input) where T : IXdrCodec<T>
    {
        var reader = new XdrReader(input);
        T value = T.Decode(ref reader);
        Assert.Equal(0, reader.Remaining);
        return value;
    }

    public static T Decode<T>(byte[] input) where T : IXdrCodec<T> => Decode<T>(new ReadOnlySequence<byte>(input));

    /// <summary>Encodes, checks the exact bytes, decodes and re-encodes to the same bytes.</summary>
    public static T RoundTrip<T>(T value, byte[]? expected = null) where T : IXdrCodec<T>
    {
        byte[] bytes = Encode(value);
        if (expected is not null) Assert.Equal(Hex(expected), Hex(bytes));
        T decoded = Decode<T>(bytes);
        Assert.Equal(Hex(bytes), Hex(Encode(decoded)));
        return decoded;
    }

    /// <summary>Decodes <paramref name="bytes"/> split in two at every offset, and split into single bytes.</summary>
    public static void DecodeSegmented<T>(byte[] bytes) where T : IXdrCodec<T>
    {
        string expected = Hex(bytes);
        for (int split = 1; split < bytes.Length; split++)
        {
            T value = Decode<T>(Segments.Split(bytes, split));
            Assert.Equal(expected, Hex(Encode(value)));
        }
        T bytewise = Decode<T>(Segments.Bytewise(bytes));
        Assert.Equal(expected, Hex(Encode(bytewise)));
    }

    /// <summary>Every strict prefix of a valid record is malformed.</summary>
    public static void AssertEveryTruncationThrows<T>(byte[] bytes) where T : IXdrCodec<T>
    {
        for (int length = 0; length < bytes.Length; length++)
        {
            byte[] prefix = bytes[..length];
            Assert.Throws<XdrException>(() => Decode<T>(prefix));
            Assert.Throws<XdrException>(() => Decode<T>(Segments.Bytewise(prefix)));
        }
    }

    public static byte[] Bytes(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), words[i]);
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes);
}

/// <summary>Builds multi-segment sequences, so decoders are tested across segment boundaries.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, int at) => Build(bytes[..at], bytes[at..]);

    public static ReadOnlySequence<byte> Bytewise(byte[] bytes) =>
        bytes.Length == 0 ? ReadOnlySequence<byte>.Empty : Build(bytes.Select(b => new[] { b }).ToArray());

    public static ReadOnlySequence<byte> Build(params byte[][] parts)
    {
        var first = new Segments(parts[0], 0);
        Segments last = first;
        for (int i = 1; i < parts.Length; i++)
        {
            var next = new Segments(parts[i], last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
