using System.Buffers;
using DittoFs.Xdr.Generators.Tests.Nfs;
using Xunit;
using static DittoFs.Xdr.Generators.Tests.XdrTest;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>Generated codecs produce the RFC 4506 bytes and read them back.</summary>
public class RoundTripTests
{
    [Fact]
    public void Primitives_AreBigEndianWords()
    {
        var value = new Primitives
        {
            I = -1, U = 0x80000000, L = -2, UL = 0x0102030405060708, B = true, F = 1.0f, D = -2.0,
            C = Color.Blue, Fl = Flags.High,
        };
        byte[] expected = Bytes(
            0xFFFFFFFF, 0x80000000,
            0xFFFFFFFF, 0xFFFFFFFE,
            0x01020304, 0x05060708,
            1, 0x3F800000,
            0xC0000000, 0,
            0xFFFFFFFE, 0x80000000);
        Primitives back = RoundTrip(value, expected);
        Assert.Equal(value, back);
        DecodeSegmented<Primitives>(expected);
    }

    [Fact]
    public void NfsTime3_AndFAttr3()
    {
        RoundTrip(new NfsTime3 { Seconds = 1, NSeconds = 0x01020304 }, Bytes(1, 0x01020304));

        var attr = new FAttr3
        {
            Type = 1, Mode = 0x1ED, Nlink = 2, Uid = 1000, Gid = 1000, Size = 1UL << 40, Used = 4096, Rdev1 = 0, Rdev2 = 0,
            Fsid = 7, FileId = 123456789, Atime = new NfsTime3 { Seconds = 1 }, Mtime = new NfsTime3 { Seconds = 2 },
            Ctime = new NfsTime3 { Seconds = 3, NSeconds = 4 },
        };
        byte[] bytes = Encode(attr);
        Assert.Equal(84, bytes.Length);
        Assert.Equal(attr, Decode<FAttr3>(bytes));
        DecodeSegmented<FAttr3>(bytes);
    }

    [Fact]
    public void GetAttr3Res_OkCarriesAttributes_ErrorIsVoid()
    {
        var ok = new GetAttr3Res { Status = NfsStat3.Ok, ResOk = new GetAttr3ResOk { Attributes = new FAttr3 { Size = 5 } } };
        byte[] bytes = Encode(ok);
        Assert.Equal(4 + 84, bytes.Length);
        Assert.Equal(ok, Decode<GetAttr3Res>(bytes));

        var error = new GetAttr3Res { Status = NfsStat3.NoEnt, ResOk = new GetAttr3ResOk { Attributes = new FAttr3 { Size = 5 } } };
        GetAttr3Res back = RoundTrip(error, Bytes(2));
        Assert.Equal(NfsStat3.NoEnt, back.Status);
        Assert.Equal(default, back.ResOk);

        // Not a listed status, but DefaultIsVoid: accepted with no arm.
        Assert.Equal((NfsStat3)70, Decode<GetAttr3Res>(Bytes(70)).Status);
    }

    [Fact]
    public void NfsFh3_VariableOpaqueIsPadded_AndZeroCopy()
    {
        byte[] handle = [1, 2, 3, 4, 5];
        byte[] expected = [0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0];
        RoundTrip(new NfsFh3 { Data = new ReadOnlySequence<byte>(handle) }, expected);

        var reader = new XdrReader(new ReadOnlyMemory<byte>(expected));
        NfsFh3 fh = NfsFh3.Decode(ref reader);
        Assert.True(fh.Data.First.Span.Overlaps(expected), "opaque must be a slice of the input");
        DecodeSegmented<NfsFh3>(expected);
        RoundTrip(new NfsFh3 { Data = default }, Bytes(0));
    }

    [Fact]
    public void Verf_FixedOpaqueHasNoLength()
    {
        byte[] verifier = [1, 2, 3, 4, 5, 6, 7, 8];
        RoundTrip(new Verf { Data = new ReadOnlySequence<byte>(verifier) }, verifier);
    }

    [Fact]
    public void Write3Args_AndGetAttr3Args()
    {
        var args = new Write3Args
        {
            File = new NfsFh3 { Data = new ReadOnlySequence<byte>([9, 9]) }, Offset = 0x100000000, Count = 3, Stable = 2,
            Data = Segments.Build([0xAA], [0xBB, 0xCC]),
        };
        byte[] expected = Concat(Bytes(2), [9, 9, 0, 0], Bytes(1, 0, 3, 2, 3), [0xAA, 0xBB, 0xCC, 0]);
        RoundTrip(args, expected);
        DecodeSegmented<Write3Args>(expected);

        RoundTrip(new GetAttr3Args { Object = new NfsFh3 { Data = new ReadOnlySequence<byte>([1]) } }, Concat(Bytes(1), [1, 0, 0, 0]));
    }

    [Fact]
    public void AuthSys_StringAndBoundedArray()
    {
        var auth = new AuthSys { Stamp = 7, MachineName = "host", Uid = 0, Gid = 10, Gids = [1, 2] };
        byte[] expected = Concat(Bytes(7, 4), "host"u8.ToArray(), Bytes(0, 10, 2, 1, 2));
        AuthSys back = RoundTrip(auth, expected);
        Assert.Equal("host", back.MachineName);
        Assert.Equal([1u, 2u], back.Gids);
        DecodeSegmented<AuthSys>(expected);

        // Default struct: null string and array go out empty.
        RoundTrip(default(AuthSys), Bytes(0, 0, 0, 0, 0));
    }

    [Fact]
    public void PostOpAttr_OptionalPresentAndAbsent()
    {
        RoundTrip(new PostOpAttr(), Bytes(0));
        var present = new PostOpAttr { Attributes = new FAttr3 { Uid = 5 } };
        byte[] bytes = Encode(present);
        Assert.Equal(4 + 84, bytes.Length);
        Assert.Equal(Bytes(1), bytes[..4]);
        Assert.Equal(5u, Decode<PostOpAttr>(bytes).Attributes!.Value.Uid);
    }

    [Fact]
    public void Entry3_LinkedListOf1000()
    {
        Entry3? head = null;
        for (int i = 999; i >= 0; i--) head = new Entry3 { FileId = (ulong)i, Name = "f" + i, Cookie = (ulong)i * 10, Next = head };

        Entry3 back = RoundTrip(head!);
        int count = 0;
        for (Entry3? e = back; e is not null; e = e.Next, count++)
        {
            Assert.Equal((ulong)count, e.FileId);
            Assert.Equal("f" + count, e.Name);
        }
        Assert.Equal(1000, count);

        var one = new Entry3 { FileId = 1, Name = "ab", Cookie = 2 };
        RoundTrip(one, Concat(Bytes(0, 1, 2), [(byte)'a', (byte)'b', 0, 0], Bytes(0, 2, 0)));
    }

    [Fact]
    public void Strings_NonAsciiBoundedAndOptional()
    {
        var value = new Strings { Bounded = "é", Unbounded = "abcd", Optional = null };
        Strings back = RoundTrip(value, Concat(Bytes(2), [0xC3, 0xA9, 0, 0], Bytes(4), "abcd"u8.ToArray(), Bytes(0)));
        Assert.Equal("é", back.Bounded);
        Assert.Null(back.Optional);

        var full = new Strings { Bounded = "日本語ok", Unbounded = "", Optional = "x\u00FF\U0001F600" };
        byte[] bytes = Encode(full);
        Strings decoded = Decode<Strings>(bytes);
        Assert.Equal(full.Bounded, decoded.Bounded);
        Assert.Equal(full.Optional, decoded.Optional);
        DecodeSegmented<Strings>(bytes);
    }

    [Fact]
    public void Opaques_AllThreeRepresentations()
    {
        var value = new Opaques
        {
            FixedSeq = new ReadOnlySequence<byte>([1, 2, 3]),
            VarSeq = new ReadOnlySequence<byte>([4]),
            FixedMem = new byte[] { 5, 6, 7, 8, 9 },
            VarMem = new byte[] { 10, 11 },
            FixedArr = [12, 13, 14, 15],
            VarArr = [16, 17, 18, 19, 20, 21, 22],
        };
        byte[] expected = Concat(
            [1, 2, 3, 0],
            Bytes(1), [4, 0, 0, 0],
            [5, 6, 7, 8, 9, 0, 0, 0],
            Bytes(2), [10, 11, 0, 0],
            [12, 13, 14, 15],
            Bytes(7), [16, 17, 18, 19, 20, 21, 22, 0]);
        Opaques back = RoundTrip(value, expected);
        Assert.Equal([5, 6, 7, 8, 9], back.FixedMem.ToArray());
        Assert.Equal(value.VarArr, back.VarArr);
        DecodeSegmented<Opaques>(expected);
    }

    [Fact]
    public void Arrays_FixedAndVariable()
    {
        var value = new Arrays
        {
            FixedInts = [1, -1],
            Hypers = [2],
            Names = ["a", "bcdef"],
            FixedPoints = [new Point { X = 1, Y = 2 }, new Point { X = 3, Y = 4 }],
            Points = [new Point { X = 5, Y = 6 }],
            Colors = [Color.Green, Color.Blue],
            Blobs = [new byte[] { 1 }],
            ByteArrays = [[2, 3], []],
        };
        byte[] expected = Concat(
            Bytes(1, 0xFFFFFFFF),
            Bytes(1, 0, 2),
            Bytes(2, 1), [(byte)'a', 0, 0, 0], Bytes(5), "bcdef"u8.ToArray(), [0, 0, 0],
            Bytes(1, 2, 3, 4),
            Bytes(1, 5, 6),
            Bytes(2, 1, 0xFFFFFFFE),
            Bytes(1, 1), [1, 0, 0, 0],
            Bytes(2, 2), [2, 3, 0, 0], Bytes(0));
        Arrays back = RoundTrip(value, expected);
        Assert.Equal(value.Names, back.Names);
        Assert.Equal(value.FixedPoints, back.FixedPoints);
        Assert.Equal(value.Colors, back.Colors);
        DecodeSegmented<Arrays>(expected);
    }

    [Fact]
    public void Optionals_PresentAndAbsent()
    {
        var absent = new Optionals();
        RoundTrip(absent, Bytes(0, 0, 0, 0, 0));

        var present = new Optionals
        {
            MaybeInt = 7, MaybePoint = new Point { X = 1, Y = 2 }, MaybeBytes = [9], MaybeArray = [3],
            SparsePoints = [null, new Point { X = 4, Y = 5 }],
        };
        byte[] expected = Concat(Bytes(1, 7, 1, 1, 2, 1, 1), [9, 0, 0, 0], Bytes(1, 1, 3, 2, 0, 1, 4, 5));
        Optionals back = RoundTrip(present, expected);
        Assert.Equal(7, back.MaybeInt);
        Assert.Equal(new Point { X = 1, Y = 2 }, back.MaybePoint);
        Assert.Equal(present.SparsePoints, back.SparsePoints);
        DecodeSegmented<Optionals>(expected);
    }

    [Fact]
    public void Shape_CasesVoidCaseAndDefaultArm()
    {
        RoundTrip(new Shape { Kind = 2, Center = new Point { X = 1, Y = 2 } }, Bytes(2, 1, 2));
        RoundTrip(new Shape { Kind = 1, Center = new Point { X = 3, Y = 4 } }, Bytes(1, 3, 4));
        RoundTrip(new Shape { Kind = -1, Label = "hi" }, Concat(Bytes(0xFFFFFFFF, 2), [(byte)'h', (byte)'i', 0, 0]));
        RoundTrip(new Shape { Kind = 3, Other = 99 }, Bytes(3));
        Shape other = RoundTrip(new Shape { Kind = 7, Other = 9 }, Bytes(7, 9));
        Assert.Equal(9u, other.Other);
    }

    [Fact]
    public void Paint_EnumDiscriminantProperties()
    {
        RoundTrip(new Paint { Color = Color.Red, Red = 5 }, Bytes(0, 5));
        RoundTrip(new Paint { Color = Color.Green }, Bytes(1));
        Paint blue = RoundTrip(new Paint { Color = Color.Blue, Blue = new Shape { Kind = 3 } }, Bytes(0xFFFFFFFE, 3));
        Assert.Equal(3, blue.Blue.Kind);
    }

    [Fact]
    public void BoolAndUIntDiscriminants()
    {
        RoundTrip(new Maybe { Present = true, Value = 5, NotOnWire = 1 }, Bytes(1, 0, 5));
        Maybe none = RoundTrip(new Maybe { Present = false, Value = 5 }, Bytes(0));
        Assert.Equal(0UL, none.Value);

        RoundTrip(new UFlags { Which = Flags.High, Inner = new Maybe { Present = true, Value = 1 } }, Bytes(0x80000000, 1, 0, 1));
        RoundTrip(new UFlags { Which = (Flags)12 }, Bytes(12));
    }

    [Fact]
    public void NestedUnionsInClassesAndArrays()
    {
        var value = new Nesting
        {
            Paint = new Paint { Color = Color.Blue, Blue = new Shape { Kind = 1, Center = new Point { X = 8, Y = 9 } } },
            Shapes = [new Shape { Kind = 3 }, new Shape { Kind = 5, Other = 6 }],
            U = new UFlags { Which = Flags.None },
        };
        byte[] expected = Bytes(0xFFFFFFFE, 1, 8, 9, 2, 3, 5, 6, 0);
        RoundTrip(value, expected);
        DecodeSegmented<Nesting>(expected);
    }

    [Fact]
    public void NestedPartialRecordStruct_WithKeywordMember()
    {
        var value = new Outer.Middle.Inner(1) { B = 2, @class = "c" };
        Outer.Middle.Inner back = RoundTrip(value, Concat(Bytes(1, 2, 1), [(byte)'c', 0, 0, 0]));
        Assert.Equal(value, back);
    }

    [Fact]
    public void WriterAcrossManySmallBuffers()
    {
        // A 64 KiB opaque forces the writer past its first span.
        byte[] big = Enumerable.Range(0, 65537).Select(i => (byte)i).ToArray();
        var args = new Write3Args { Data = new ReadOnlySequence<byte>(big) };
        byte[] bytes = Encode(args);
        Assert.Equal(4 + 8 + 4 + 4 + 4 + 65537 + 3, bytes.Length);
        Assert.Equal(big, Decode<Write3Args>(bytes).Data.ToArray());
        Assert.Equal(new byte[3], bytes[^3..]);
    }
}
