using System.Buffers;
using CsCheck;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Xdr;
using Xunit;

namespace DittoFs.Server.Tests.Properties;

/// <summary>
/// Generated NFSv3 codecs: encode → decode → encode gives the same bytes (and decode consumes
/// exactly what was encoded); arbitrary bytes fed to every args decoder fail only with XdrException.
/// </summary>
public sealed class XdrRoundTripProperties
{
    private const long Iterations = 2000;

    // ---- generators -------------------------------------------------------------------------

    private static readonly Gen<ReadOnlyMemory<byte>> GenFh =
        Gen.Byte.Array[0, Nfs3Limits.FhSize].Select(b => (ReadOnlyMemory<byte>)b);

    private static readonly Gen<NfsFh3> GenNfsFh = GenFh.Select(d => new NfsFh3 { Data = d });

    private static readonly Gen<ReadOnlyMemory<byte>> GenName =
        Gen.Frequency((10, Gen.Byte.Array[0, 300]), (1, Gen.Byte.Array[0, Nfs3Limits.MaxName])).Select(b => (ReadOnlyMemory<byte>)b);

    private static readonly Gen<DirOpArgs3> GenDirOp = Gen.Select(GenNfsFh, GenName, (d, n) => new DirOpArgs3 { Dir = d, Name = n });

    private static readonly Gen<NfsTime3> GenTime = Gen.Select(Gen.UInt, Gen.UInt, (s, n) => new NfsTime3 { Seconds = s, NSeconds = n });

    private static readonly Gen<SetUInt32> GenSetU32 = Gen.OneOf(
        Gen.Const(new SetUInt32 { Set = false }),
        Gen.UInt.Select(v => new SetUInt32 { Set = true, Value = v }));

    private static readonly Gen<SetUInt64> GenSetU64 = Gen.OneOf(
        Gen.Const(new SetUInt64 { Set = false }),
        Gen.ULong.Select(v => new SetUInt64 { Set = true, Value = v }));

    private static readonly Gen<SetTime> GenSetTime = Gen.OneOf(
        Gen.Const(new SetTime { Set = TimeHow.DontChange }),
        Gen.Const(new SetTime { Set = TimeHow.SetToServerTime }),
        GenTime.Select(t => new SetTime { Set = TimeHow.SetToClientTime, Time = t }));

    private static readonly Gen<SAttr3> GenSAttr = Gen.Select(GenSetU32, GenSetU32, GenSetU32, GenSetU64, GenSetTime, GenSetTime,
        (m, u, g, s, a, t) => new SAttr3 { Mode = m, Uid = u, Gid = g, Size = s, ATime = a, MTime = t });

    private static readonly Gen<FAttr3> GenFAttr = Gen.Select(
        Gen.Select(Gen.Enum<Ftype3>(), Gen.UInt, Gen.UInt, Gen.UInt, Gen.UInt, Gen.ULong, Gen.ULong),
        Gen.Select(Gen.UInt, Gen.UInt, Gen.ULong, Gen.ULong),
        Gen.Select(GenTime, GenTime, GenTime),
        (a, b, t) => new FAttr3
        {
            Type = a.Item1, Mode = a.Item2, NLink = a.Item3, Uid = a.Item4, Gid = a.Item5, Size = a.Item6, Used = a.Item7,
            Rdev = new SpecData3 { SpecData1 = b.Item1, SpecData2 = b.Item2 }, Fsid = b.Item3, FileId = b.Item4,
            ATime = t.Item1, MTime = t.Item2, CTime = t.Item3,
        });

    private static readonly Gen<PostOpAttr> GenPostOp = Gen.OneOf(
        Gen.Const(new PostOpAttr { Attributes = null }),
        GenFAttr.Select(a => new PostOpAttr { Attributes = a }));

    private static readonly Gen<PreOpAttr> GenPreOp = Gen.OneOf(
        Gen.Const(new PreOpAttr { Attributes = null }),
        Gen.Select(Gen.ULong, GenTime, GenTime, (s, m, c) => new PreOpAttr { Attributes = new WccAttr { Size = s, MTime = m, CTime = c } }));

    private static readonly Gen<WccData> GenWcc = Gen.Select(GenPreOp, GenPostOp, (b, a) => new WccData { Before = b, After = a });

    private static readonly Gen<Nfs3Status> GenErrorStatus = Gen.Enum<Nfs3Status>().Where(s => s != Nfs3Status.Ok);

    private static readonly Gen<CreateHow3> GenCreateHow = Gen.OneOf(
        GenSAttr.Select(a => new CreateHow3 { Mode = CreateMode3.Unchecked, ObjAttributes = a }),
        GenSAttr.Select(a => new CreateHow3 { Mode = CreateMode3.Guarded, ObjAttributes = a }),
        Gen.ULong.Select(v => new CreateHow3 { Mode = CreateMode3.Exclusive, Verf = v }));

    private static readonly Gen<byte[]> GenData = Gen.Frequency((10, Gen.Byte.Array[0, 512]), (1, Gen.Byte.Array[0, 70000]));

    // ---- round trips ------------------------------------------------------------------------

    private static byte[] Encode<T>(T value) where T : IXdrCodec<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        value.Encode(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void AssertRoundTrip<T>(T value) where T : IXdrCodec<T>
    {
        byte[] first = Encode(value);
        Assert.True(first.Length % 4 == 0, $"{typeof(T).Name}: {first.Length} bytes is not a multiple of 4");
        var r = new XdrReader((ReadOnlyMemory<byte>)first);
        T decoded = T.Decode(ref r);
        Assert.Equal(first.Length, r.Consumed);
        byte[] second = Encode(decoded);
        Assert.Equal(first, second);
    }

    private static void Check<T>(Gen<T> gen) where T : IXdrCodec<T> => gen.Sample(AssertRoundTrip, iter: Iterations);

    [Fact]
    public void GetAttrArgs() => Check(GenNfsFh.Select(f => new GetAttr3Args { Object = f }));

    [Fact]
    public void LookupArgs() => Check(GenDirOp.Select(d => new Lookup3Args { What = d }));

    [Fact]
    public void CreateArgsAllModes() => Check(Gen.Select(GenDirOp, GenCreateHow, (d, h) => new Create3Args { Where = d, How = h }));

    [Fact]
    public void SetAttrArgsEverySetArm() => Check(Gen.Select(GenNfsFh, GenSAttr,
        Gen.OneOf(Gen.Const(new SAttrGuard3 { Check = false }), GenTime.Select(t => new SAttrGuard3 { Check = true, ObjCtime = t })),
        (f, a, g) => new SetAttr3Args { Object = f, NewAttributes = a, Guard = g }));

    [Fact]
    public void WriteArgs() => Check(Gen.Select(GenNfsFh, Gen.ULong, Gen.Enum<StableHow>(), GenData,
        (f, o, s, d) => new Write3Args { File = f, Offset = o, Count = (uint)d.Length, Stable = s, Data = new ReadOnlySequence<byte>(d) }));

    [Fact]
    public void ReadArgs() => Check(Gen.Select(GenNfsFh, Gen.ULong, Gen.UInt, (f, o, c) => new Read3Args { File = f, Offset = o, Count = c }));

    [Fact]
    public void ReadDirArgs() => Check(Gen.Select(GenNfsFh, Gen.ULong, Gen.ULong, Gen.UInt,
        (f, c, v, n) => new ReadDir3Args { Dir = f, Cookie = c, CookieVerf = v, Count = n }));

    [Fact]
    public void GetAttrRes() => Check(Gen.OneOf(
        GenFAttr.Select(a => new GetAttr3Res { Status = Nfs3Status.Ok, ResOk = new GetAttr3ResOk { ObjAttributes = a } }),
        GenErrorStatus.Select(s => new GetAttr3Res { Status = s })));

    [Fact]
    public void LookupRes() => Check(Gen.OneOf(
        Gen.Select(GenNfsFh, GenPostOp, GenPostOp, (f, o, d) => new Lookup3Res
        {
            Status = Nfs3Status.Ok, ResOk = new Lookup3ResOk { Object = f, ObjAttributes = o, DirAttributes = d },
        }),
        Gen.Select(GenErrorStatus, GenPostOp, (s, d) => new Lookup3Res { Status = s, ResFail = new Lookup3ResFail { DirAttributes = d } })));

    [Fact]
    public void ReadRes() => Check(Gen.OneOf(
        Gen.Select(GenPostOp, Gen.Bool, GenData, (a, eof, d) => new Read3Res
        {
            Status = Nfs3Status.Ok, ResOk = new Read3ResOk { FileAttributes = a, Count = (uint)d.Length, Eof = eof, Data = d },
        }),
        Gen.Select(GenErrorStatus, GenPostOp, (s, a) => new Read3Res { Status = s, ResFail = new Read3ResFail { FileAttributes = a } })));

    [Fact]
    public void WriteRes() => Check(Gen.OneOf(
        Gen.Select(GenWcc, Gen.UInt, Gen.Enum<StableHow>(), Gen.ULong, (w, c, s, v) => new Write3Res
        {
            Status = Nfs3Status.Ok, ResOk = new Write3ResOk { FileWcc = w, Count = c, Committed = s, Verf = v },
        }),
        Gen.Select(GenErrorStatus, GenWcc, (s, w) => new Write3Res { Status = s, ResFail = new Write3ResFail { FileWcc = w } })));

    // ---- garbage in ----------------------------------------------------------------------------

    private delegate void Decoder(ReadOnlyMemory<byte> bytes);

    private static Decoder D<T>() where T : IXdrCodec<T> => bytes =>
    {
        var r = new XdrReader(bytes);
        _ = T.Decode(ref r);
    };

    private static readonly (string Name, Decoder Decode)[] ArgsDecoders =
    [
        (nameof(GetAttr3Args), D<GetAttr3Args>()), (nameof(SetAttr3Args), D<SetAttr3Args>()), (nameof(Lookup3Args), D<Lookup3Args>()),
        (nameof(Access3Args), D<Access3Args>()), (nameof(ReadLink3Args), D<ReadLink3Args>()), (nameof(Read3Args), D<Read3Args>()),
        (nameof(Write3Args), D<Write3Args>()), (nameof(Create3Args), D<Create3Args>()), (nameof(MkDir3Args), D<MkDir3Args>()),
        (nameof(Symlink3Args), D<Symlink3Args>()), (nameof(MkNod3Args), D<MkNod3Args>()), (nameof(Remove3Args), D<Remove3Args>()),
        (nameof(Rename3Args), D<Rename3Args>()), (nameof(Link3Args), D<Link3Args>()), (nameof(ReadDir3Args), D<ReadDir3Args>()),
        (nameof(ReadDirPlus3Args), D<ReadDirPlus3Args>()), (nameof(FsStat3Args), D<FsStat3Args>()), (nameof(FsInfo3Args), D<FsInfo3Args>()),
        (nameof(PathConf3Args), D<PathConf3Args>()), (nameof(Commit3Args), D<Commit3Args>()),
    ];

    private static void DecodeOnlyThrowsXdrException(byte[] bytes)
    {
        foreach (var (name, decode) in ArgsDecoders)
        {
            try
            {
                decode(bytes);
            }
            catch (XdrException)
            {
                // the only acceptable failure
            }
            catch (Exception e)
            {
                Assert.Fail($"{name} threw {e.GetType().Name} on {Convert.ToHexString(bytes)}: {e.Message}");
            }
        }
    }

    /// <summary>Mostly small 32-bit words (0..3, lengths near the bounds) so decoders get deep before failing.</summary>
    private static readonly Gen<byte[]> GenWordish = Gen.Frequency(
        (3, Gen.UInt[0, 3]), (2, Gen.UInt[0, 80]), (1, Gen.UInt[4090, 4100]), (1, Gen.UInt), (1, Gen.UInt[uint.MaxValue - 4, uint.MaxValue]))
        .Array[0, 40]
        .Select(words =>
        {
            byte[] b = new byte[words.Length * 4];
            for (int i = 0; i < words.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(i * 4), words[i]);
            return b;
        });

    [Fact]
    public void RandomBytesOnlyThrowXdrException() =>
        Gen.Byte.Array[0, 200].Sample(DecodeOnlyThrowsXdrException, iter: 5000);

    [Fact]
    public void RandomWordsOnlyThrowXdrException() =>
        Gen.Select(GenWordish, Gen.Int[0, 3], (b, cut) => b.Length >= cut ? b[..^cut] : b)
            .Sample(DecodeOnlyThrowsXdrException, iter: 5000);

    [Fact]
    public void MutatedValidArgsOnlyThrowXdrException() =>
        Gen.Select(
            Gen.OneOf(
                Gen.Select(GenDirOp, GenCreateHow, (d, h) => Encode(new Create3Args { Where = d, How = h })),
                Gen.Select(GenNfsFh, GenSAttr, (f, a) => Encode(new SetAttr3Args { Object = f, NewAttributes = a })),
                Gen.Select(GenNfsFh, Gen.ULong, GenData, (f, o, d) => Encode(new Write3Args
                {
                    File = f, Offset = o, Count = (uint)d.Length, Stable = StableHow.Unstable, Data = new ReadOnlySequence<byte>(d),
                }))),
            Gen.Int[0, 1000], Gen.Byte, Gen.Int[0, 8],
            (bytes, pos, value, cut) =>
            {
                if (bytes.Length > 0) bytes[pos % bytes.Length] = value;
                return bytes[..Math.Max(0, bytes.Length - cut)];
            })
        .Sample(DecodeOnlyThrowsXdrException, iter: 3000);
}
