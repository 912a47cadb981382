using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Xdr;
using Xunit;
using static DittoFs.Server.Tests.Protocol.Types.XdrTestCodec;

namespace DittoFs.Server.Tests.Protocol.Types;

public sealed class Nfs3TypesTests
{
    private static readonly byte[] Handle3 = [0xAA, 0xBB, 0xCC];
    private static readonly byte[] Handle8 = [1, 2, 3, 4, 5, 6, 7, 8];

    // --- GETATTR3res, NFS3_OK with a full fattr3 ---

    private static FAttr3 SampleAttributes() => new()
    {
        Type = Ftype3.Reg,
        Mode = 0x1A4, // 0644
        NLink = 1,
        Uid = 1000,
        Gid = 100,
        Size = 0x0000_0001_0000_0005,
        Used = 8192,
        Rdev = new SpecData3 { SpecData1 = 0x11, SpecData2 = 0x22 },
        Fsid = 0x0102_0304_0506_0708,
        FileId = 42,
        ATime = new NfsTime3 { Seconds = 1_700_000_000, NSeconds = 1 },
        MTime = new NfsTime3 { Seconds = 1_700_000_001, NSeconds = 2 },
        CTime = new NfsTime3 { Seconds = 1_700_000_002, NSeconds = 999_999_999 },
    };

    private static readonly byte[] SampleAttributesBytes = Cat(
        W(1),                          // type NF3REG
        W(0x1A4),                      // mode
        W(1),                          // nlink
        W(1000),                       // uid
        W(100),                        // gid
        [0, 0, 0, 1, 0, 0, 0, 5],      // size
        H(8192),                       // used
        W(0x11), W(0x22),              // rdev
        [1, 2, 3, 4, 5, 6, 7, 8],      // fsid
        H(42),                         // fileid
        W(1_700_000_000), W(1),        // atime
        W(1_700_000_001), W(2),        // mtime
        W(1_700_000_002), W(999_999_999)); // ctime

    [Fact]
    public void GetAttrResOkCarriesFullFattr3()
    {
        var res = new GetAttr3Res { Status = Nfs3Status.Ok, ResOk = new GetAttr3ResOk { ObjAttributes = SampleAttributes() } };
        byte[] expected = Cat(W(0), SampleAttributesBytes);
        Assert.Equal(88, expected.Length); // status + 84-byte fattr3

        Assert.Equal(expected, Encode(res));

        GetAttr3Res back = RoundTrip<GetAttr3Res>(expected);
        Assert.Equal(Nfs3Status.Ok, back.Status);
        Assert.Equal(SampleAttributes(), back.ResOk.ObjAttributes);
    }

    [Fact]
    public void GetAttrResErrorIsStatusOnly()
    {
        var res = new GetAttr3Res { Status = Nfs3Status.Stale };
        Assert.Equal(W(70), Encode(res));
        Assert.Equal(Nfs3Status.Jukebox, Decode<GetAttr3Res>(W(10008)).Status);
    }

    // --- LOOKUP3res failure, post_op_attr absent ---

    [Fact]
    public void LookupResFailWithoutDirAttributes()
    {
        var res = new Lookup3Res { Status = Nfs3Status.NoEnt, ResFail = new Lookup3ResFail { DirAttributes = default } };
        byte[] expected = [0, 0, 0, 2, 0, 0, 0, 0];

        Assert.Equal(expected, Encode(res));

        Lookup3Res back = RoundTrip<Lookup3Res>(expected);
        Assert.Equal(Nfs3Status.NoEnt, back.Status);
        Assert.Null(back.ResFail.DirAttributes.Attributes);
    }

    [Fact]
    public void LookupResOkWithHandleAndAttributes()
    {
        var res = new Lookup3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new Lookup3ResOk
            {
                Object = new NfsFh3 { Data = Handle3 },
                ObjAttributes = new PostOpAttr { Attributes = SampleAttributes() },
                DirAttributes = default,
            },
        };
        byte[] expected = Cat(W(0), W(3), [0xAA, 0xBB, 0xCC, 0], W(1), SampleAttributesBytes, W(0));

        Assert.Equal(expected, Encode(res));

        Lookup3Res back = RoundTrip<Lookup3Res>(expected);
        Assert.Equal(Handle3, back.ResOk.Object.Data.ToArray());
        Assert.Equal(SampleAttributes(), back.ResOk.ObjAttributes.Attributes);
        Assert.Null(back.ResOk.DirAttributes.Attributes);
    }

    [Fact]
    public void LookupArgsAcceptLongNameForTheHandlerToReject()
    {
        // A 300-byte name decodes: NFS3ERR_NAMETOOLONG is the handler's answer, not GARBAGE_ARGS.
        byte[] name = Enumerable.Repeat((byte)'x', 300).ToArray();
        byte[] bytes = Cat(W(3), [0xAA, 0xBB, 0xCC, 0], W(300), name);
        Lookup3Args args = RoundTrip<Lookup3Args>(bytes);
        Assert.Equal(300, args.What.Name.Length);

        byte[] tooLong = Cat(W(3), [0xAA, 0xBB, 0xCC, 0], W(4097), new byte[4100]);
        Assert.Throws<XdrException>(() => Decode<Lookup3Args>(tooLong));
    }

    [Fact]
    public void FileHandleLongerThan64IsRejected()
    {
        byte[] bytes = Cat(W(65), new byte[68]);
        Assert.Throws<XdrException>(() => Decode<GetAttr3Args>(bytes));
        Assert.Equal(64, Decode<GetAttr3Args>(Cat(W(64), new byte[64])).Object.Data.Length);
    }

    // --- WRITE3args with 5 bytes of data (3 bytes of padding) ---

    private static readonly byte[] WriteArgsBytes =
    [
        0, 0, 0, 3, 0xAA, 0xBB, 0xCC, 0,           // file: fh3 of 3 bytes + 1 pad
        0, 0, 0, 0, 0, 0, 0x10, 0,                 // offset 4096
        0, 0, 0, 5,                                // count
        0, 0, 0, 2,                                // stable FILE_SYNC
        0, 0, 0, 5, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', 0, 0, 0, // data + 3 pad
    ];

    [Fact]
    public void WriteArgsPadData()
    {
        var args = new Write3Args
        {
            File = new NfsFh3 { Data = Handle3 },
            Offset = 4096,
            Count = 5,
            Stable = StableHow.FileSync,
            Data = new ReadOnlySequence<byte>("hello"u8.ToArray()),
        };

        Assert.Equal(WriteArgsBytes, Encode(args));

        Write3Args back = RoundTrip<Write3Args>(WriteArgsBytes);
        Assert.Equal(Handle3, back.File.Data.ToArray());
        Assert.Equal(4096UL, back.Offset);
        Assert.Equal(5U, back.Count);
        Assert.Equal(StableHow.FileSync, back.Stable);
        Assert.Equal("hello"u8.ToArray(), back.Data.ToArray());
    }

    [Fact]
    public void WriteArgsDataSpanningSegmentsIsSlicedNotLost()
    {
        // Segments cut inside the handle, inside the data and inside the padding.
        ReadOnlySequence<byte> input = Split(WriteArgsBytes, 5, 30, 33);
        Write3Args back = Decode<Write3Args>(input);
        Assert.Equal(Handle3, back.File.Data.ToArray());
        Assert.Equal("hello"u8.ToArray(), back.Data.ToArray());
        Assert.Equal(WriteArgsBytes, Encode(back));
    }

    public static TheoryData<int> WriteArgsPrefixes()
    {
        var data = new TheoryData<int>();
        for (int length = 0; length < WriteArgsBytes.Length; length++) data.Add(length);
        return data;
    }

    [Theory]
    [MemberData(nameof(WriteArgsPrefixes))]
    public void TruncatedWriteArgsThrow(int length)
    {
        byte[] truncated = WriteArgsBytes[..length];
        Assert.Throws<XdrException>(() => Decode<Write3Args>(truncated));
    }

    [Fact]
    public void WriteArgsWithNonZeroPaddingThrow()
    {
        byte[] bad = (byte[])WriteArgsBytes.Clone();
        bad[^1] = 1;
        Assert.Throws<XdrException>(() => Decode<Write3Args>(bad));
    }

    [Fact]
    public void WriteResOkCarriesVerifierAsEightBytes()
    {
        var res = new Write3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new Write3ResOk
            {
                FileWcc = new WccData
                {
                    Before = new PreOpAttr
                    {
                        Attributes = new WccAttr { Size = 5, MTime = new NfsTime3 { Seconds = 7, NSeconds = 8 }, CTime = new NfsTime3 { Seconds = 9, NSeconds = 10 } },
                    },
                    After = default,
                },
                Count = 5,
                Committed = StableHow.Unstable,
                Verf = 0xDEAD_BEEF_0102_0304,
            },
        };
        byte[] expected = Cat(
            W(0),
            W(1), H(5), W(7), W(8), W(9), W(10), // pre_op_attr present
            W(0),                                // post_op_attr absent
            W(5), W(0),
            [0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4]);

        Assert.Equal(expected, Encode(res));
        Write3Res back = RoundTrip<Write3Res>(expected);
        Assert.Equal(0xDEAD_BEEF_0102_0304UL, back.ResOk.Verf);
        Assert.Equal(5UL, back.ResOk.FileWcc.Before.Attributes!.Value.Size);
    }

    // --- CREATE3args: createhow3 ---

    private static DirOpArgs3 Where() => new() { Dir = new NfsFh3 { Data = Handle8 }, Name = "new.txt"u8.ToArray() };

    private static readonly byte[] WhereBytes = Cat(
        W(8), [1, 2, 3, 4, 5, 6, 7, 8],
        W(7), [(byte)'n', (byte)'e', (byte)'w', (byte)'.', (byte)'t', (byte)'x', (byte)'t', 0]);

    [Fact]
    public void CreateArgsExclusiveCarriesVerifier()
    {
        var args = new Create3Args
        {
            Where = Where(),
            How = new CreateHow3 { Mode = CreateMode3.Exclusive, Verf = 0x0011_2233_4455_6677 },
        };
        byte[] expected = Cat(WhereBytes, W(2), [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);

        Assert.Equal(expected, Encode(args));

        Create3Args back = RoundTrip<Create3Args>(expected);
        Assert.Equal(Handle8, back.Where.Dir.Data.ToArray());
        Assert.Equal("new.txt", Encoding.UTF8.GetString(back.Where.Name.Span));
        Assert.Equal(CreateMode3.Exclusive, back.How.Mode);
        Assert.Equal(0x0011_2233_4455_6677UL, back.How.Verf);
    }

    [Fact]
    public void CreateArgsGuardedCarriesSattr3()
    {
        var args = new Create3Args
        {
            Where = Where(),
            How = new CreateHow3
            {
                Mode = CreateMode3.Guarded,
                ObjAttributes = new SAttr3
                {
                    Mode = new SetUInt32 { Set = true, Value = 0x1ED }, // 0755
                    Uid = default,
                    Gid = default,
                    Size = new SetUInt64 { Set = true, Value = 0 },
                    ATime = new SetTime { Set = TimeHow.SetToServerTime },
                    MTime = new SetTime { Set = TimeHow.DontChange },
                },
            },
        };
        byte[] expected = Cat(
            WhereBytes,
            W(1),                // GUARDED
            W(1), W(0x1ED),      // mode
            W(0),                // uid
            W(0),                // gid
            W(1), H(0),          // size
            W(1),                // atime SET_TO_SERVER_TIME
            W(0));               // mtime DONT_CHANGE

        Assert.Equal(expected, Encode(args));

        Create3Args back = RoundTrip<Create3Args>(expected);
        Assert.Equal(CreateMode3.Guarded, back.How.Mode);
        SAttr3 a = back.How.ObjAttributes;
        Assert.True(a.Mode.Set);
        Assert.Equal(0x1EDU, a.Mode.Value);
        Assert.False(a.Uid.Set);
        Assert.False(a.Gid.Set);
        Assert.True(a.Size.Set);
        Assert.Equal(0UL, a.Size.Value);
        Assert.Equal(TimeHow.SetToServerTime, a.ATime.Set);
        Assert.Equal(TimeHow.DontChange, a.MTime.Set);
    }

    [Fact]
    public void CreateArgsUncheckedSharesTheSattr3Arm()
    {
        byte[] bytes = Cat(WhereBytes, W(0), W(0), W(0), W(0), W(0), W(0), W(0));
        Create3Args back = RoundTrip<Create3Args>(bytes);
        Assert.Equal(CreateMode3.Unchecked, back.How.Mode);
        Assert.False(back.How.ObjAttributes.Mode.Set);
    }

    [Fact]
    public void CreateHowWithUnknownModeThrows()
    {
        byte[] bytes = Cat(WhereBytes, W(3), H(0));
        Assert.Throws<XdrException>(() => Decode<Create3Args>(bytes));
    }

    // --- SETATTR3args ---

    [Fact]
    public void SetAttrArgsWithSomeFieldsSet()
    {
        var args = new SetAttr3Args
        {
            Object = new NfsFh3 { Data = Handle8 },
            NewAttributes = new SAttr3
            {
                Mode = default,
                Uid = new SetUInt32 { Set = true, Value = 1000 },
                Gid = new SetUInt32 { Set = true, Value = 1001 },
                Size = new SetUInt64 { Set = true, Value = 0x1_0000_0000 },
                ATime = new SetTime { Set = TimeHow.SetToServerTime },
                MTime = new SetTime { Set = TimeHow.SetToClientTime, Time = new NfsTime3 { Seconds = 1_600_000_000, NSeconds = 500 } },
            },
            Guard = new SAttrGuard3 { Check = true, ObjCtime = new NfsTime3 { Seconds = 77, NSeconds = 88 } },
        };
        byte[] expected = Cat(
            W(8), Handle8,
            W(0),                              // mode: don't set
            W(1), W(1000),                     // uid
            W(1), W(1001),                     // gid
            W(1), [0, 0, 0, 1, 0, 0, 0, 0],    // size 2^32
            W(1),                              // atime SET_TO_SERVER_TIME
            W(2), W(1_600_000_000), W(500),    // mtime SET_TO_CLIENT_TIME
            W(1), W(77), W(88));               // guard

        Assert.Equal(expected, Encode(args));

        SetAttr3Args back = RoundTrip<SetAttr3Args>(expected);
        Assert.False(back.NewAttributes.Mode.Set);
        Assert.Equal(1000U, back.NewAttributes.Uid.Value);
        Assert.Equal(1001U, back.NewAttributes.Gid.Value);
        Assert.Equal(0x1_0000_0000UL, back.NewAttributes.Size.Value);
        Assert.Equal(TimeHow.SetToServerTime, back.NewAttributes.ATime.Set);
        Assert.Equal(TimeHow.SetToClientTime, back.NewAttributes.MTime.Set);
        Assert.Equal(new NfsTime3 { Seconds = 1_600_000_000, NSeconds = 500 }, back.NewAttributes.MTime.Time);
        Assert.True(back.Guard.Check);
        Assert.Equal(new NfsTime3 { Seconds = 77, NSeconds = 88 }, back.Guard.ObjCtime);
    }

    [Fact]
    public void SetAttrArgsWithoutGuard()
    {
        byte[] bytes = Cat(W(8), Handle8, W(0), W(0), W(0), W(0), W(0), W(0), W(0));
        SetAttr3Args back = RoundTrip<SetAttr3Args>(bytes);
        Assert.False(back.Guard.Check);
    }

    [Fact]
    public void SetAttrBoolOtherThanZeroOrOneThrows()
    {
        byte[] bytes = Cat(W(8), Handle8, W(2), W(0), W(0), W(0), W(0), W(0), W(0));
        Assert.Throws<XdrException>(() => Decode<SetAttr3Args>(bytes));
    }

    // --- READDIR3resok with two entries ---

    [Fact]
    public void ReadDirResOkWithTwoEntries()
    {
        var second = new Entry3 { FileId = 11, Name = "file.txt"u8.ToArray(), Cookie = 2 };
        var first = new Entry3 { FileId = 10, Name = "."u8.ToArray(), Cookie = 1, Next = second };
        var resok = new ReadDir3ResOk
        {
            DirAttributes = default,
            CookieVerf = 0x0102_0304_0506_0708,
            Reply = new DirList3 { Entries = first, Eof = true },
        };
        byte[] expected = Cat(
            W(0),                                  // dir_attributes absent
            [1, 2, 3, 4, 5, 6, 7, 8],              // cookieverf
            W(1),                                  // entry follows
            H(10), W(1), [(byte)'.', 0, 0, 0], H(1),
            W(1),                                  // entry follows
            H(11), W(8), "file.txt"u8.ToArray(), H(2),
            W(0),                                  // end of list
            W(1));                                 // eof

        Assert.Equal(expected, Encode(resok));

        ReadDir3ResOk back = RoundTrip<ReadDir3ResOk>(expected);
        Assert.Equal(0x0102_0304_0506_0708UL, back.CookieVerf);
        Assert.True(back.Reply.Eof);
        Entry3 e1 = Assert.IsType<Entry3>(back.Reply.Entries);
        Assert.Equal(10UL, e1.FileId);
        Assert.Equal("."u8.ToArray(), e1.Name.ToArray());
        Assert.Equal(1UL, e1.Cookie);
        Entry3 e2 = Assert.IsType<Entry3>(e1.Next);
        Assert.Equal(11UL, e2.FileId);
        Assert.Equal("file.txt"u8.ToArray(), e2.Name.ToArray());
        Assert.Equal(2UL, e2.Cookie);
        Assert.Null(e2.Next);
    }

    [Fact]
    public void ReadDirResOkEmptyDirectory()
    {
        var resok = new ReadDir3ResOk { CookieVerf = 0, Reply = new DirList3 { Entries = null, Eof = true } };
        byte[] expected = Cat(W(0), H(0), W(0), W(1));
        Assert.Equal(expected, Encode(resok));
        Assert.Null(RoundTrip<ReadDir3ResOk>(expected).Reply.Entries);
    }

    [Fact]
    public void ReadDirPlusEntryCarriesAttributesAndHandle()
    {
        var entry = new EntryPlus3
        {
            FileId = 5,
            Name = "a"u8.ToArray(),
            Cookie = 9,
            NameAttributes = new PostOpAttr { Attributes = SampleAttributes() },
            NameHandle = new PostOpFh3 { Handle = new NfsFh3 { Data = Handle3 } },
        };
        var res = new ReadDirPlus3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new ReadDirPlus3ResOk { CookieVerf = 3, Reply = new DirListPlus3 { Entries = entry, Eof = false } },
        };
        byte[] expected = Cat(
            W(0), W(0), H(3),
            W(1), H(5), W(1), [(byte)'a', 0, 0, 0], H(9),
            W(1), SampleAttributesBytes,
            W(1), W(3), [0xAA, 0xBB, 0xCC, 0],
            W(0), W(0));

        Assert.Equal(expected, Encode(res));
        ReadDirPlus3Res back = RoundTrip<ReadDirPlus3Res>(expected);
        EntryPlus3 e = Assert.IsType<EntryPlus3>(back.ResOk.Reply.Entries);
        Assert.Equal(SampleAttributes(), e.NameAttributes.Attributes);
        Assert.Equal(Handle3, e.NameHandle.Handle!.Value.Data.ToArray());
        Assert.Null(e.Next);
        Assert.False(back.ResOk.Reply.Eof);
    }

    // --- MKNOD: mknoddata3 ---

    [Fact]
    public void MkNodDataArms()
    {
        byte[] where = Cat(W(3), [0xAA, 0xBB, 0xCC, 0], W(1), [(byte)'d', 0, 0, 0]);
        byte[] noAttrs = Cat(W(0), W(0), W(0), W(0), W(0), W(0));

        MkNod3Args chr = RoundTrip<MkNod3Args>(Cat(where, W(4), noAttrs, W(8), W(1)));
        Assert.Equal(Ftype3.Chr, chr.What.Type);
        Assert.Equal(new SpecData3 { SpecData1 = 8, SpecData2 = 1 }, chr.What.Device.Spec);

        MkNod3Args fifo = RoundTrip<MkNod3Args>(Cat(where, W(7), noAttrs));
        Assert.Equal(Ftype3.Fifo, fifo.What.Type);

        // NF3REG has a void arm: decodes, and the handler answers NFS3ERR_BADTYPE.
        MkNod3Args reg = RoundTrip<MkNod3Args>(Cat(where, W(1)));
        Assert.Equal(Ftype3.Reg, reg.What.Type);
    }
}
