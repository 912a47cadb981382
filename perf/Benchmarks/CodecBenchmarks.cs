using System.Buffers;
using BenchmarkDotNet.Attributes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Rpc;
using DittoFs.Xdr;

namespace DittoFs.Perf;

/// <summary>
/// The steady-state cost of the hot NFSv3 calls: parse the RPC header, decode
/// the arguments, encode the result into a reused buffer. MemoryDiagnoser
/// must show 0 B allocated for each.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private byte[] _getAttrCall = [];
    private byte[] _readCall = [];
    private byte[] _writeCall = [];
    private readonly byte[] _data = new byte[4096];
    private GetAttr3Res _getAttrRes;

    [GlobalSetup]
    public void Setup()
    {
        byte[] handle = new byte[20];
        _getAttrCall = Call(1, new GetAttr3Args { Object = new NfsFh3 { Data = handle } });
        _readCall = Call(6, new Read3Args { File = new NfsFh3 { Data = handle }, Offset = 8192, Count = 4096 });
        _writeCall = Call(7, new Write3Args { File = new NfsFh3 { Data = handle }, Offset = 8192, Count = 4096, Stable = StableHow.Unstable, Data = new ReadOnlySequence<byte>(_data) });
        _getAttrRes = new GetAttr3Res { Status = Nfs3Status.Ok, ResOk = new GetAttr3ResOk { ObjAttributes = new FAttr3 { Type = Ftype3.Reg, Mode = 0x1A4, NLink = 1, Size = 1 << 20, FileId = 42 } } };
    }

    private static byte[] Call<T>(uint procedure, T args) where T : IXdrCodec<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        foreach (uint v in new uint[] { 1, 0, 2, 100003, 3, procedure, 1 }) w.WriteUInt32(v);
        w.WriteOpaque(new byte[] { 0, 0, 0, 0, 0, 0, 0, 4, (byte)'h', (byte)'o', (byte)'s', (byte)'t', 0, 0, 3, 232, 0, 0, 3, 232, 0, 0, 0, 0 });
        w.WriteUInt32(0);
        w.WriteUInt32(0);
        args.Encode(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static T DecodeArgs<T>(byte[] record) where T : IXdrCodec<T>
    {
        CallHeaderParser.Parse(record, out CallHeader header);
        var reader = new XdrReader(record.AsMemory(header.ArgumentsOffset));
        return T.Decode(ref reader);
    }

    private void Encode<T>(in T result) where T : IXdrCodec<T>
    {
        _output.ResetWrittenCount();
        var w = new XdrWriter(_output);
        result.Encode(ref w);
        w.Flush();
    }

    [Benchmark]
    public int GetAttr()
    {
        GetAttr3Args args = DecodeArgs<GetAttr3Args>(_getAttrCall);
        Encode(_getAttrRes);
        return args.Object.Data.Length;
    }

    [Benchmark]
    public int Read4K()
    {
        Read3Args args = DecodeArgs<Read3Args>(_readCall);
        Encode(new Read3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new Read3ResOk { FileAttributes = new PostOpAttr { Attributes = _getAttrRes.ResOk.ObjAttributes }, Count = args.Count, Eof = false, Data = _data },
        });
        return (int)args.Count;
    }

    [Benchmark]
    public int Write4K()
    {
        Write3Args args = DecodeArgs<Write3Args>(_writeCall);
        Encode(new Write3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new Write3ResOk { Count = args.Count, Committed = StableHow.Unstable, Verf = 7, FileWcc = new WccData { After = new PostOpAttr { Attributes = _getAttrRes.ResOk.ObjAttributes } } },
        });
        return (int)args.Data.Length;
    }
}
