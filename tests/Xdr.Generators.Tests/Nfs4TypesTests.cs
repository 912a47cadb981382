using System.Buffers;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using Xunit;
using static DittoFs.Xdr.Generators.Tests.XdrTest;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>
/// The server's NFSv4.1 types (src/Server/Protocol/Nfs4/Types) as the generator compiles them: the
/// RFC 8881 wire bytes, round trips through split buffers, bounds, unions, and no allocation when
/// decoding the hot arguments.
/// </summary>
public class Nfs4TypesTests
{
    private static readonly byte[] s_handle = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
    private static readonly Stateid4 s_stateid = new(7, 0xB00B, 0x0102030405060708);

    [Fact]
    public void Sequence4Args_IsSessionIdThenFourWords()
    {
        var args = new Sequence4Args
        {
            SessionId = new SessionId4 { High = 0x1112131415161718, Low = 0x2122232425262728 },
            SequenceId = 5, SlotId = 1, HighestSlotId = 3, CacheThis = true,
        };
        byte[] expected = Bytes(0x11121314, 0x15161718, 0x21222324, 0x25262728, 5, 1, 3, 1);
        Assert.Equal(args, RoundTrip(args, expected));
        DecodeSegmented<Sequence4Args>(expected);
        AssertEveryTruncationThrows<Sequence4Args>(expected);
    }

    [Fact]
    public void Sequence4ResOk_RoundTrips()
    {
        var res = new Sequence4ResOk { SessionId = new SessionId4 { High = 1, Low = 2 }, SequenceId = 9, SlotId = 0, HighestSlotId = 63, TargetHighestSlotId = 63, StatusFlags = 0x40 };
        Assert.Equal(res, RoundTrip(res, Bytes(0, 1, 0, 2, 9, 0, 63, 63, 0x40)));
    }

    [Fact]
    public void PutFh4Args_IsAnOpaqueBoundedByNfs4FhSize()
    {
        byte[] bytes = RoundTripBytes(new PutFh4Args { Object = new NfsFh4 { Data = s_handle } });
        Assert.Equal(Hex(Bytes(20, 0x01020304, 0x05060708, 0x090A0B0C, 0x0D0E0F10, 0x11121314)), Hex(bytes));
        DecodeSegmented<PutFh4Args>(bytes);

        // 128 bytes is NFS4_FHSIZE; 129 fails on both sides.
        RoundTripBytes(new PutFh4Args { Object = new NfsFh4 { Data = new byte[128] } });
        Assert.Throws<XdrException>(() => Encode(new PutFh4Args { Object = new NfsFh4 { Data = new byte[129] } }));
        byte[] tooLong = [.. Bytes(129), .. new byte[132]];
        Assert.Throws<XdrException>(() => Decode<PutFh4Args>(tooLong));
    }

    [Fact]
    public void GetAttr4Args_BitmapKeepsThreeWordsAndBoundsTheCount()
    {
        var args = new GetAttr4Args { AttrRequest = new Bitmap4(0x0010011A, 0x00B0A23A, 0) };
        byte[] bytes = RoundTripBytes(args, Bytes(2, 0x0010011A, 0x00B0A23A));
        GetAttr4Args back = Decode<GetAttr4Args>(bytes);
        Assert.Equal(0x0010011Au, back.AttrRequest.W0);
        Assert.Equal(0x00B0A23Au, back.AttrRequest.W1);

        // Words past the third are remembered as "some unknown bit", never allocated.
        Assert.True(Decode<GetAttr4Args>(Bytes(4, 1, 0, 0, 8)).AttrRequest.HasBitsBeyond);
        Assert.Throws<XdrException>(() => Decode<GetAttr4Args>([.. Bytes(65), .. new byte[65 * 4]]));
    }

    [Fact]
    public void Read4Args_AndResOk()
    {
        var args = new Read4Args { Stateid = s_stateid, Offset = 1UL << 33, Count = 4096 };
        byte[] expected = Bytes(7, 0xB00B, 0x01020304, 0x05060708, 2, 0, 4096);
        Read4Args back = Decode<Read4Args>(RoundTripBytes(args, expected));
        Assert.Equal(s_stateid, back.Stateid);
        Assert.Equal(1UL << 33, back.Offset);
        DecodeSegmented<Read4Args>(expected);

        byte[] res = RoundTripBytes(new Read4ResOk { Eof = true, Data = new byte[] { 0xAA, 0xBB, 0xCC } }, Bytes(1, 3, 0xAABBCC00));
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC }, Decode<Read4ResOk>(res).Data.ToArray());
        Assert.Throws<XdrException>(() => Decode<Read4ResOk>(Bytes(1, 3, 0xAABBCC01))); // non-zero padding
    }

    [Fact]
    public void Write4Args_DataIsASliceOfTheRecord()
    {
        byte[] data = [.. Enumerable.Range(0, 4096).Select(i => (byte)i)];
        var args = new Write4Args { Stateid = s_stateid, Offset = 8192, Stable = Nfs4Const.FileSync4, Data = new ReadOnlySequence<byte>(data) };
        byte[] bytes = RoundTripBytes(args);
        Assert.Equal(16 + 8 + 4 + 4 + 4096, bytes.Length);
        Write4Args back = Decode<Write4Args>(bytes);
        Assert.Equal(data, back.Data.ToArray());
        Assert.True(back.Data.First.Span.Overlaps(bytes), "WRITE data must not be copied out of the record");
        Assert.Equal(Hex(Bytes(4096, 2, 0, 9)), Hex(Encode(new Write4ResOk { Count = 4096, Committed = 2, WriteVerf = 9 })));
    }

    [Fact]
    public void ExchangeId4Args_AsLinuxSendsIt()
    {
        var args = new ExchangeId4Args
        {
            ClientOwner = new ClientOwner4 { Verifier = 0x0102030405060708, OwnerId = "ab"u8.ToArray() },
            Flags = Nfs4Const.ExchgIdSuppMovedRefer,
            StateProtect = new StateProtect4A { How = Nfs4Const.Sp4None },
            ClientImplId = [new NfsImplId4 { Domain = "k"u8.ToArray(), Name = "L"u8.ToArray(), Date = new NfsTime4 { Seconds = -1, NSeconds = 2 } }],
        };
        byte[] expected = Bytes(
            0x01020304, 0x05060708, 2, 0x61620000,
            1,
            0,
            1, 1, 0x6B000000, 1, 0x4C000000, 0xFFFFFFFF, 0xFFFFFFFF, 2);
        ExchangeId4Args back = Decode<ExchangeId4Args>(RoundTripBytes(args, expected));
        Assert.Equal("ab"u8.ToArray(), back.ClientOwner.OwnerId.ToArray());
        Assert.Equal(-1, back.ClientImplId[0].Date.Seconds);

        // eia_client_impl_id<1>: two are malformed. SP4_MACH_CRED carries two bitmaps.
        Assert.Throws<XdrException>(() => Decode<ExchangeId4Args>(Bytes(0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        var mach = new ExchangeId4Args { ClientOwner = new ClientOwner4 { OwnerId = "x"u8.ToArray() }, StateProtect = new StateProtect4A { How = Nfs4Const.Sp4MachCred, MachOps = new StateProtectOps4 { MustEnforce = new Bitmap4(1, 0, 0), MustAllow = new Bitmap4(0, 2, 0) } } };
        Assert.Equal(0u, RoundTrip(mach).StateProtect.MachOps.MustAllow.W0);
        Assert.Equal(2u, RoundTrip(mach).StateProtect.MachOps.MustAllow.W1);
    }

    [Fact]
    public void CreateSession4Args_CallbackSecParmsUnion()
    {
        var args = new CreateSession4Args
        {
            ClientId = 42, Sequence = 1, Flags = Nfs4Const.CreateSessionConnBackChan,
            ForeChanAttrs = new ChannelAttrs4 { MaxRequestSize = 1 << 20, MaxResponseSize = 1 << 20, MaxResponseSizeCached = 8192, MaxOperations = 16, MaxRequests = 4 },
            BackChanAttrs = new ChannelAttrs4 { MaxOperations = 2, MaxRequests = 1, RdmaIrd = [7] },
            CbProgram = 0x40000000,
            SecParms =
            [
                new CallbackSecParms4 { Flavor = Nfs4Const.AuthNone },
                new CallbackSecParms4 { Flavor = Nfs4Const.AuthSys, SysCred = new AuthSysParms { Stamp = 1, MachineName = "m"u8.ToArray(), Uid = 1000, Gid = 100, Gids = [4, 5] } },
            ],
        };
        CreateSession4Args back = Decode<CreateSession4Args>(RoundTripBytes(args));
        Assert.Equal(7u, back.BackChanAttrs.RdmaIrd.Single());
        Assert.Equal(new uint[] { 4, 5 }, back.SecParms[1].SysCred.Gids);
        Assert.Equal(16u, back.ForeChanAttrs.ToState().MaxOperations);

        // An unknown callback flavor is malformed; so is a 17th gid or a 256-byte machine name.
        byte[] header = Encode(new CreateSession4Args { ForeChanAttrs = default, BackChanAttrs = default });
        byte[] unknown = [.. header[..^4], .. Bytes(1, 3)];
        Assert.Throws<XdrException>(() => Decode<CreateSession4Args>(unknown));
        Assert.Throws<XdrException>(() => Encode(new AuthSysParms { Gids = new uint[17] }));
        Assert.Throws<XdrException>(() => Encode(new AuthSysParms { MachineName = new byte[256] }));
    }

    [Fact]
    public void Open4Args_CreateUncheckedWithModeClaimNull()
    {
        var args = new Open4Args
        {
            ShareAccess = Nfs4Const.ShareAccessBoth,
            Owner = new StateOwner4 { ClientId = 3, Owner = "o"u8.ToArray() },
            OpenHow = new OpenFlag4
            {
                OpenType = Nfs4Const.OpenCreate,
                How = new CreateHow4 { Mode = Nfs4Const.Unchecked4, CreateAttrs = new Fattr4 { AttrMask = new Bitmap4(0, 2, 0), AttrVals = new ReadOnlySequence<byte>(Bytes(0x1A4)) } },
            },
            Claim = new OpenClaim4 { Claim = Nfs4Const.ClaimNull, File = "f"u8.ToArray() },
        };
        byte[] expected = Bytes(
            0, 3, 0,
            0, 3, 1, 0x6F000000,
            1, 0, 2, 0, 2, 4, 0x1A4,
            0, 1, 0x66000000);
        Open4Args back = Decode<Open4Args>(RoundTripBytes(args, expected));
        Assert.Equal("f"u8.ToArray(), back.Claim.File.ToArray());
        Assert.Equal(2u, back.OpenHow.How.CreateAttrs.AttrMask.W1);

        // Unknown opentype, createmode and claim decode as void: the handler answers NFS4ERR_INVAL, not BADXDR.
        Assert.Equal(9u, Decode<OpenClaim4>(Bytes(9)).Claim);
        Assert.Equal(9u, Decode<CreateHow4>(Bytes(9)).Mode);
        Assert.Equal(9u, Decode<OpenFlag4>(Bytes(9)).OpenType);
        RoundTrip(new OpenClaim4 { Claim = Nfs4Const.ClaimDelegateCur, DelegateCurInfo = new OpenClaimDelegateCur4 { DelegateStateid = s_stateid, File = "g"u8.ToArray() } });
        RoundTrip(new OpenClaim4 { Claim = Nfs4Const.ClaimFh }, Bytes(Nfs4Const.ClaimFh));
    }

    [Fact]
    public void Open4ResOk_EveryDelegationArm()
    {
        var none = new Open4ResOk { Stateid = s_stateid, CInfo = new ChangeInfo4 { Before = 1, After = 2 }, RFlags = Nfs4Const.OpenResultLocktypePosix, Attrset = new Bitmap4(0, 2, 0) };
        RoundTripBytes(none, Bytes(7, 0xB00B, 0x01020304, 0x05060708, 0, 0, 1, 0, 2, 4, 2, 0, 2, 0));
        RoundTripBytes(none with { Delegation = new OpenDelegation4 { DelegationType = OpenDelegation4.Read, ReadDelegation = new OpenReadDelegation4 { Stateid = s_stateid, Permissions = new NfsAce4 { Who = "EVERYONE@"u8.ToArray() } } } });
        RoundTripBytes(none with { Delegation = new OpenDelegation4 { DelegationType = OpenDelegation4.Write, WriteDelegation = new OpenWriteDelegation4 { SpaceLimit = new NfsSpaceLimit4 { LimitBy = NfsSpaceLimit4.LimitSize, FileSize = 1 << 30 } } } });
        RoundTripBytes(none with { Delegation = new OpenDelegation4 { DelegationType = OpenDelegation4.NoneExt, WhyNone = new OpenNoneDelegation4 { Why = OpenNoneDelegation4.Contention, ServerWillPushDeleg = true } } });
        Assert.Throws<XdrException>(() => Decode<OpenDelegation4>(Bytes(4)));
    }

    [Fact]
    public void Lock4Args_LockerUnion()
    {
        var fresh = new Lock4Args
        {
            LockType = Nfs4Const.WriteLt, Offset = 0, Length = ulong.MaxValue,
            Locker = new Locker4 { NewLockOwner = true, OpenOwner = new OpenToLockOwner4 { OpenStateid = s_stateid, LockOwner = new StateOwner4 { ClientId = 1, Owner = "lo"u8.ToArray() } } },
        };
        Assert.Equal("lo"u8.ToArray(), RoundTrip(fresh).Locker.OpenOwner.LockOwner.Owner.ToArray());
        var existing = fresh with { Locker = new Locker4 { NewLockOwner = false, LockOwner = new ExistLockOwner4 { LockStateid = s_stateid, LockSeqid = 2 } } };
        byte[] bytes = RoundTripBytes(existing, Bytes(2, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 7, 0xB00B, 0x01020304, 0x05060708, 2));
        DecodeSegmented<Lock4Args>(bytes);
        Assert.Throws<XdrException>(() => Encode(new LockT4Args { Owner = new StateOwner4 { Owner = new byte[Nfs4Const.OpaqueLimit + 1] } }));
    }

    [Fact]
    public void Create4Args_TypeUnionAndComponentBound()
    {
        var link = new Create4Args { ObjType = new CreateType4 { Type = Nfs4Const.Nf4Lnk, LinkData = "t"u8.ToArray() }, ObjName = "l"u8.ToArray() };
        RoundTripBytes(link, Bytes(5, 1, 0x74000000, 1, 0x6C000000, 0, 0));
        RoundTrip(new Create4Args { ObjType = new CreateType4 { Type = Nfs4Const.Nf4Chr, DevData = new SpecData4 { SpecData1 = 1, SpecData2 = 3 } }, ObjName = "c"u8.ToArray() });
        // NF4REG is a void arm (the handler answers BADTYPE), and the name and attributes still follow.
        Assert.Equal(Nfs4Const.Nf4Reg, Decode<Create4Args>(Bytes(1, 1, 0x6C000000, 0, 0)).ObjType.Type);
        Assert.Throws<XdrException>(() => Encode(new Lookup4Args { ObjName = new byte[Nfs4Limits.MaxName + 1] }));
        Assert.Throws<XdrException>(() => Decode<Rename4Args>([.. Bytes(Nfs4Limits.MaxName + 1), .. new byte[Nfs4Limits.MaxName + 4], .. Bytes(0)]));
    }

    [Fact]
    public void SmallArgumentsAndResults_RoundTrip()
    {
        RoundTrip(new Access4Args { Access = 0x3F }, Bytes(0x3F));
        RoundTrip(new Access4ResOk { Supported = 0x3F, Access = 0x1F }, Bytes(0x3F, 0x1F));
        RoundTrip(new Commit4Args { Offset = 1, Count = 2 }, Bytes(0, 1, 2));
        RoundTrip(new Close4Args { Seqid = 1, OpenStateid = s_stateid });
        RoundTrip(new OpenDowngrade4Args { OpenStateid = s_stateid, ShareAccess = 1, ShareDeny = 0 });
        RoundTrip(new LockU4Args { LockType = 1, LockStateid = s_stateid, Offset = 5, Length = 6 });
        RoundTrip(new TestStateid4Args { Stateids = [s_stateid, Stateid4.Closed] });
        RoundTrip(new TestStateid4ResOk { StatusCodes = [Nfs4Status.Ok, Nfs4Status.BadStateId] }, Bytes(2, 0, 10025));
        RoundTrip(new ReadDir4Args { Cookie = 3, CookieVerf = 4, DirCount = 512, MaxCount = 4096, AttrRequest = new Bitmap4(1, 0, 0) }, Bytes(0, 3, 0, 4, 512, 4096, 1, 1));
        RoundTrip(new Rename4ResOk { SourceCInfo = new ChangeInfo4 { Atomic = true, After = 1 }, TargetCInfo = default });
        RoundTrip(new BindConnToSession4Args { SessionId = new SessionId4 { High = 1, Low = 2 }, Dir = Nfs4Const.CdfcForeOrBoth }, Bytes(0, 1, 0, 2, 3, 0));
        RoundTrip(new SecInfoNoName4Args { Style = 1 }, Bytes(1));
        RoundTrip(new Lock4Denied { Offset = 1, Length = 2, LockType = 2, Owner = new StateOwner4 { ClientId = 9, Owner = "x"u8.ToArray() } });
        RoundTrip(new ExchangeId4ResOk { ClientId = 1, SequenceId = 1, ServerOwner = new ServerOwner4 { MajorId = "s"u8.ToArray() }, ServerScope = "s"u8.ToArray() },
            Bytes(0, 1, 1, 0, 0, 0, 0, 1, 0x73000000, 1, 0x73000000, 0));
        Assert.Throws<XdrException>(() => Decode<ReclaimComplete4Args>(Bytes(2))); // bool is 0 or 1
        RoundTrip(new SecInfo4ResOk { Flavors = [new SecInfo4 { Flavor = Nfs4Const.AuthSys }, new SecInfo4 { Flavor = Nfs4Const.RpcSecGss, FlavorInfo = new RpcSecGssInfo { Oid = new byte[] { 0x2A }, Qop = 0, Service = 1 } }] },
            Bytes(2, 1, 6, 1, 0x2A000000, 0, 1));
    }

    /// <summary>SEQUENCE, PUTFH, GETATTR, READ and WRITE arguments decode without a single managed allocation.</summary>
    [Fact]
    public void HotArguments_DecodeWithoutAllocating()
    {
        byte[] sequence = Encode(new Sequence4Args { SessionId = new SessionId4 { High = 1, Low = 2 }, SequenceId = 1 });
        byte[] putFh = Encode(new PutFh4Args { Object = new NfsFh4 { Data = s_handle } });
        byte[] getAttr = Encode(new GetAttr4Args { AttrRequest = new Bitmap4(0x0010011A, 0x00B0A23A, 0) });
        byte[] read = Encode(new Read4Args { Stateid = s_stateid, Offset = 4096, Count = 4096 });
        byte[] write = Encode(new Write4Args { Stateid = s_stateid, Offset = 4096, Data = new ReadOnlySequence<byte>(new byte[4096]) });
        long total = 0;
        for (int round = 0; round < 3; round++) // the first round JITs
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            total = DecodeAll(sequence, putFh, getAttr, read, write);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round == 2) Assert.Equal(0, allocated);
        }
        Assert.Equal(1 + 20 + 0x0010011A + 4096 + 4096, total);
    }

    private static long DecodeAll(byte[] sequence, byte[] putFh, byte[] getAttr, byte[] read, byte[] write)
    {
        var r = new XdrReader(sequence);
        long total = Sequence4Args.Decode(ref r).SequenceId;
        r = new XdrReader(putFh);
        total += PutFh4Args.Decode(ref r).Object.Data.Length;
        r = new XdrReader(getAttr);
        total += GetAttr4Args.Decode(ref r).AttrRequest.W0;
        r = new XdrReader(read);
        total += Read4Args.Decode(ref r).Count;
        r = new XdrReader(write);
        total += Write4Args.Decode(ref r).Data.Length;
        return total;
    }

    private static byte[] RoundTripBytes<T>(T value, byte[]? expected = null) where T : IXdrCodec<T>
    {
        RoundTrip(value, expected);
        return Encode(value);
    }
}
