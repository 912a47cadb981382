using System.Buffers;
using System.Buffers.Binary;
using DittoFs.Server.Rpc;
using Xunit;

namespace DittoFs.Server.Tests.Rpc;

public sealed class RecordAssemblerTests
{
    private const int Max = 1024;

    private static byte[] Mark(uint length, bool last)
    {
        byte[] mark = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mark, (last ? 0x8000_0000u : 0) | length);
        return mark;
    }

    private static byte[] Fragment(byte[] body, bool last) => [.. Mark((uint)body.Length, last), .. body];

    public static TheoryData<string, byte[], byte[][]> GoodInputs() => new()
    {
        { "one fragment", Fragment([1, 2, 3, 4, 5], true), [[1, 2, 3, 4, 5]] },
        { "two fragments", [.. Fragment([1, 2], false), .. Fragment([3], true)], [[1, 2, 3]] },
        { "empty first fragment then data", [.. Fragment([1], false), .. Fragment([2, 3, 4, 5, 6, 7, 8, 9], true)], [[1, 2, 3, 4, 5, 6, 7, 8, 9]] },
        { "two records", [.. Fragment([9], true), .. Fragment([8, 7], true)], [[9], [8, 7]] },
        { "record of exactly max", Fragment(new byte[Max], true), [new byte[Max]] },
    };

    [Theory]
    [MemberData(nameof(GoodInputs))]
    public void WholeInputGivesEveryRecord(string name, byte[] input, byte[][] expected)
    {
        _ = name;
        Assert.Equal(expected, Feed(input, input.Length));
    }

    [Theory]
    [MemberData(nameof(GoodInputs))]
    public void OneByteAtATimeGivesEveryRecord(string name, byte[] input, byte[][] expected)
    {
        _ = name;
        Assert.Equal(expected, Feed(input, 1));
    }

    [Theory]
    [MemberData(nameof(GoodInputs))]
    public void SplitAcrossSegmentsGivesEveryRecord(string name, byte[] input, byte[][] expected)
    {
        _ = name;
        for (int split = 1; split < input.Length; split++)
        {
            var assembler = new RecordAssembler(Max);
            var records = new List<byte[]>();
            ReadOnlySequence<byte> seq = Segments.Of(input[..split], input[split..]);
            while (assembler.TryRead(ref seq, out byte[]? r, out int len))
            {
                records.Add(r.AsSpan(0, len).ToArray());
                DittoFs.Server.Buffers.BufferPool.Return(r);
            }
            Assert.Equal(0, seq.Length);
            Assert.Equal(expected, records);
        }
    }

    public static TheoryData<string, byte[]> BadInputs() => new()
    {
        { "2 GiB fragment", Mark(0x7FFF_FFFF, true) },
        { "fragment just over max", Mark(Max + 1, true) },
        { "fragments summing over max", [.. Fragment(new byte[Max / 2 + 1], false), .. Mark(Max / 2, true)] },
        { "empty record", Mark(0, true) },
        { "empty non-final fragment", Mark(0, false) },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BrokenMarkingThrowsBeforeTheBodyArrives(string name, byte[] input)
    {
        _ = name;
        Assert.Throws<RecordMarkingException>(() => Feed(input, input.Length));
        Assert.Throws<RecordMarkingException>(() => Feed(input, 1));
    }

    [Fact]
    public void TruncatedRecordWaitsForMore()
    {
        byte[] input = Fragment([1, 2, 3, 4], true)[..6];
        Assert.Empty(Feed(input, input.Length));
    }

    /// <summary>Feeds input in chunks the way the pipe does: bytes not consumed stay and come back with the next chunk.</summary>
    private static List<byte[]> Feed(byte[] input, int chunk)
    {
        using var assembler = new RecordAssembler(Max);
        var records = new List<byte[]>();
        byte[] pending = [];
        for (int i = 0; i < input.Length; i += chunk)
        {
            byte[] available = [.. pending, .. input.AsSpan(i, Math.Min(chunk, input.Length - i))];
            var seq = new ReadOnlySequence<byte>(available);
            while (assembler.TryRead(ref seq, out byte[]? r, out int len))
            {
                records.Add(r.AsSpan(0, len).ToArray());
                DittoFs.Server.Buffers.BufferPool.Return(r);
            }
            Assert.True(seq.Length < 4, "only a partial record mark may stay unconsumed");
            pending = seq.ToArray();
        }
        return records;
    }
}

internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long index)
    {
        Memory = memory;
        RunningIndex = index;
    }

    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        var first = new Segments(parts[0], 0);
        Segments last = first;
        long index = parts[0].Length;
        foreach (byte[] part in parts[1..])
        {
            var next = new Segments(part, index);
            last.Next = next;
            last = next;
            index += part.Length;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
