using System.Buffers;
using DittoFs.Xdr.Generators.Tests.Nfs;
using Xunit;
using static DittoFs.Xdr.Generators.Tests.XdrTest;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>Bad input must throw XdrException: never IndexOutOfRange, Overflow or OutOfMemory.</summary>
public class MalformedInputTests
{
    [Fact]
    public void TruncationAtEveryByte_Throws()
    {
        AssertEveryTruncationThrows<Primitives>(Encode(new Primitives { L = 1 }));
        AssertEveryTruncationThrows<FAttr3>(Encode(new FAttr3()));
        AssertEveryTruncationThrows<GetAttr3Res>(Encode(new GetAttr3Res { Status = NfsStat3.Ok }));
        AssertEveryTruncationThrows<AuthSys>(Encode(new AuthSys { MachineName = "abc", Gids = [1, 2, 3] }));
        AssertEveryTruncationThrows<Write3Args>(Encode(new Write3Args { Data = new ReadOnlySequence<byte>([1, 2, 3, 4, 5]) }));
        AssertEveryTruncationThrows<Opaques>(Encode(new Opaques { FixedSeq = new ReadOnlySequence<byte>([1, 2, 3]), FixedMem = new byte[5] }));
        AssertEveryTruncationThrows<Arrays>(Encode(new Arrays { Names = ["x"], FixedPoints = new Point[2], Points = [default] }));
        AssertEveryTruncationThrows<Optionals>(Encode(new Optionals { MaybePoint = default(Point), SparsePoints = [null, default(Point)] }));
        AssertEveryTruncationThrows<Nesting>(Encode(new Nesting { Paint = new Paint { Color = Color.Red }, Shapes = [new Shape { Kind = 1 }] }));
        AssertEveryTruncationThrows<Entry3>(Encode(new Entry3 { Name = "n", Next = new Entry3 { Name = "m" } }));
    }

    [Fact]
    public void BadDiscriminant_Throws()
    {
        XdrException e = Assert.Throws<XdrException>(() => Decode<Paint>(Bytes(7, 0)));
        Assert.Contains("Paint", e.Message);
        Assert.Throws<XdrException>(() => Encode(new Paint { Color = (Color)7 }));
        // A bool discriminant must be 0 or 1 too.
        Assert.Throws<XdrException>(() => Decode<Maybe>(Bytes(2, 0, 0)));
    }

    [Fact]
    public void BoolValueTwo_Throws()
    {
        byte[] bytes = Encode(new Primitives());
        bytes[4 + 4 + 8 + 8 + 3] = 2; // B
        Assert.Throws<XdrException>(() => Decode<Primitives>(bytes));
        Assert.Throws<XdrException>(() => Decode<Optionals>(Bytes(2, 0, 0, 0, 0)));
    }

    [Fact]
    public void LengthsPastMaxLength_Throw()
    {
        Assert.Throws<XdrException>(() => Decode<NfsFh3>(Concat(Bytes(65), new byte[68])));
        Assert.Throws<XdrException>(() => Decode<Strings>(Concat(Bytes(13), new byte[16], Bytes(0, 0))));
        Assert.Throws<XdrException>(() => Decode<AuthSys>(Concat(Bytes(0, 0, 0, 0, 17), new byte[17 * 4])));
        Assert.Throws<XdrException>(() => Decode<Arrays>(Concat(Bytes(1, 2, 5), new byte[5 * 8])));
    }

    [Fact]
    public void LengthsPastEndOfRecord_Throw()
    {
        // Huge counts must fail before anything is allocated.
        Assert.Throws<XdrException>(() => Decode<Arrays>(Bytes(1, 2, 0, 0x7FFFFFFF)));
        Assert.Throws<XdrException>(() => Decode<Arrays>(Bytes(1, 2, 0, 0xFFFFFFFF)));
        Assert.Throws<XdrException>(() => Decode<Entry3>(Bytes(0, 0, 0x7FFFFFFF)));
        Assert.Throws<XdrException>(() => Decode<Write3Args>(Concat(Bytes(0, 0, 0, 0, 0, 0x7FFFFFFF), new byte[16])));
        Assert.Throws<XdrException>(() => Decode<Opaques>(Concat(new byte[4], Bytes(0xFFFFFFFF))));
        Assert.Throws<XdrException>(() => Decode<Optionals>(Bytes(0, 0, 0, 0, 0x40000000)));
        // Four points claimed, room for two.
        Assert.Throws<XdrException>(() => Decode<Arrays>(Concat(Bytes(1, 2, 0, 0, 1, 2, 3, 4, 4), new byte[16])));
    }

    [Fact]
    public void NonZeroPadding_Throws()
    {
        Assert.Throws<XdrException>(() => Decode<NfsFh3>([0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 1, 0]));
        Assert.Throws<XdrException>(() => Decode<Strings>(Concat(Bytes(1), [(byte)'a', 0, 0, 1], Bytes(0, 0))));
        byte[] opaques = Encode(new Opaques { FixedSeq = new ReadOnlySequence<byte>([1, 2, 3]), FixedMem = new byte[5] });
        opaques[3] = 9; // padding after the 3-byte fixed opaque
        Assert.Throws<XdrException>(() => Decode<Opaques>(opaques));
        Assert.Throws<XdrException>(() => Decode<Opaques>(Segments.Bytewise(opaques)));
    }

    [Fact]
    public void EncodeRejectsWhatDecodeWould()
    {
        Assert.Throws<XdrException>(() => Encode(new Verf { Data = new ReadOnlySequence<byte>(new byte[7]) }));
        Assert.Throws<XdrException>(() => Encode(new Verf()));
        Assert.Throws<XdrException>(() => Encode(new Opaques { FixedArr = new byte[3] }));
        Assert.Throws<XdrException>(() => Encode(new Opaques { FixedMem = new byte[6] }));
        Assert.Throws<XdrException>(() => Encode(new NfsFh3 { Data = new ReadOnlySequence<byte>(new byte[65]) }));
        Assert.Throws<XdrException>(() => Encode(new AuthSys { Gids = new uint[17] }));
        Assert.Throws<XdrException>(() => Encode(new Arrays { FixedInts = [1] }));
        Assert.Throws<XdrException>(() => Encode(new Strings { Bounded = "0123456789abc" }));
        Assert.Throws<XdrException>(() => Encode(new Strings { Bounded = "ééééééé" })); // 7 chars, 14 bytes
        Assert.Throws<XdrException>(() => Encode(new Nesting { Paint = null! }));
        Encode(new Strings { Bounded = "éééééé" }); // exactly 12 bytes
    }
}
