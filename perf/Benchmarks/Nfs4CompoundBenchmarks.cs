using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using BenchmarkDotNet.Attributes;
using DittoFs.Server;
using DittoFs.Server.Buffers;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Storage.Diagnostics;
using DittoFs.Xdr;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DittoFs.Perf;

/// <summary>
/// Steady-state NFSv4.1 COMPOUNDs through the whole program without sockets: RPC call parse,
/// COMPOUND decode, dispatch (SEQUENCE slot, PUTFH resolve, the in-memory stores), encode.
/// SEQUENCE+PUTFH+GETATTR, +READ 4 KiB, +WRITE 4 KiB; the calls are built with the generated
/// codecs, the slot's seqid patched in place per call. The *Codecs benchmarks decode the same
/// arguments and encode the same results alone. MemoryDiagnoser shows what each allocates.
/// </summary>
[MemoryDiagnoser]
public class Nfs4CompoundBenchmarks
{
    private sealed class Connection : IRpcConnection
    {
        public IPEndPoint? RemoteEndPoint { get; } = new(IPAddress.Loopback, 1000);
        public int LocalPort => 2049;
        public string ConnectionId => "bench";
    }

    // GETATTR as the Linux client asks after OPEN: type, change, size, fsid, fileid | mode, numlinks, owner, group, used, times.
    private static readonly Bitmap4 s_attrs = new((1u << 1) | (1u << 3) | (1u << 4) | (1u << 8) | (1u << 20),
        (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 13) | (1u << 15) | (1u << 20) | (1u << 21), 0);

    private readonly Connection _connection = new();
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private readonly byte[] _data = new byte[4096];
    private string _directory = "";
    private StorageHost _storage = null!;
    private Nfs4State _state = null!;
    private Nfs4Program _program = null!;
    private SessionId4 _session;
    private uint _seq;
    private uint _xid = 1;
    private byte[] _handle = [];
    private Stateid4 _stateid;
    private (byte[] Call, int SeqOffset) _getAttr, _read, _write;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "dittofs-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var options = Microsoft.Extensions.Options.Options.Create(new DittoFsOptions
        {
            MetadataStore = "Memory",
            PayloadStore = "Memory",
            DataDirectory = _directory,
            Exports = [new ExportOptions { Path = "/export", Squash = SquashMode.None }],
        });
        IMeterFactory meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        _storage = new StorageHost(options, new StorageMetrics(meters));
        _storage.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        _state = new Nfs4State(options, NullLogger<Nfs4State>.Instance);
        _program = new Nfs4Program(_storage, _state, options, NullLogger<Nfs4Program>.Instance);

        XdrReader r = Expect(Run(Build(1, (ref XdrWriter w) => Op(ref w, Nfs4Op.ExchangeId, new ExchangeId4Args
        {
            ClientOwner = new ClientOwner4 { Verifier = 1, OwnerId = "bench"u8.ToArray() },
            StateProtect = new StateProtect4A { How = Nfs4Const.Sp4None },
        })).Call), Nfs4Op.ExchangeId);
        ExchangeId4ResOk client = ExchangeId4ResOk.Decode(ref r);
        var channel = new ChannelAttrs4 { MaxRequestSize = 1 << 20, MaxResponseSize = 1 << 20, MaxResponseSizeCached = 8192, MaxOperations = 16, MaxRequests = 4 };
        r = Expect(Run(Build(1, (ref XdrWriter w) => Op(ref w, Nfs4Op.CreateSession, new CreateSession4Args
        {
            ClientId = client.ClientId,
            Sequence = client.SequenceId,
            ForeChanAttrs = channel,
            BackChanAttrs = channel,
            CbProgram = 0x40000000,
            SecParms = [new CallbackSecParms4 { Flavor = Nfs4Const.AuthNone }],
        })).Call), Nfs4Op.CreateSession);
        _session = CreateSession4ResOk.Decode(ref r).SessionId;
        Sequenced(Nfs4Op.ReclaimComplete, (ref XdrWriter w) => Op(ref w, Nfs4Op.ReclaimComplete, new ReclaimComplete4Args()));

        // The file: OPEN (create) in the export, its handle and open stateid, 4 KiB written.
        r = Sequenced(Nfs4Op.PutRootFh, (ref XdrWriter w) =>
        {
            w.WriteUInt32((uint)Nfs4Op.PutRootFh);
            Op(ref w, Nfs4Op.Lookup, new Lookup4Args { ObjName = "export"u8.ToArray() });
            Op(ref w, Nfs4Op.Open, new Open4Args
            {
                ShareAccess = Nfs4Const.ShareAccessBoth,
                Owner = new StateOwner4 { ClientId = client.ClientId, Owner = "bench-owner"u8.ToArray() },
                OpenHow = new OpenFlag4 { OpenType = Nfs4Const.OpenCreate, How = new CreateHow4 { Mode = Nfs4Const.Unchecked4 } },
                Claim = new OpenClaim4 { Claim = Nfs4Const.ClaimNull, File = "file"u8.ToArray() },
            });
            w.WriteUInt32((uint)Nfs4Op.GetFh);
        }, ops: 4);
        Next(ref r, Nfs4Op.Lookup);
        Next(ref r, Nfs4Op.Open);
        _stateid = Open4ResOk.Decode(ref r).Stateid;
        Next(ref r, Nfs4Op.GetFh);
        _handle = GetFh4ResOk.Decode(ref r).Object.Data.ToArray();

        _getAttr = Build(2, (ref XdrWriter w) => Op(ref w, Nfs4Op.GetAttr, new GetAttr4Args { AttrRequest = s_attrs }));
        _read = Build(2, (ref XdrWriter w) => Op(ref w, Nfs4Op.Read, new Read4Args { Stateid = _stateid, Offset = 0, Count = 4096 }));
        _write = Build(2, (ref XdrWriter w) => Op(ref w, Nfs4Op.Write, new Write4Args { Stateid = _stateid, Offset = 0, Stable = Nfs4Const.Unstable4, Data = new ReadOnlySequence<byte>(_data) }));
        for (int i = 0; i < 3; i++)
        {
            Check(Write4K(), 4096);
            Check(Read4K(), 4096);
            Check(GetAttr(), 4);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _state.Dispose();
        _storage.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private delegate void Ops(ref XdrWriter w);

    private static void Op<T>(ref XdrWriter w, Nfs4Op op, T args) where T : IXdrCodec<T>
    {
        w.WriteUInt32((uint)op);
        args.Encode(ref w);
    }

    /// <summary>An RPC call of COMPOUND: SEQUENCE (when a session exists) + PUTFH (when <paramref name="ops"/> is 2) + the ops.</summary>
    private (byte[] Call, int SeqOffset) Build(int ops, Ops body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        foreach (uint v in new uint[] { _xid++, 0, 2, Nfs4Const.Program, 4, Nfs4Const.ProcCompound, 1 }) w.WriteUInt32(v);
        w.WriteOpaque([0, 0, 0, 0, 0, 0, 0, 5, (byte)'b', (byte)'e', (byte)'n', (byte)'c', (byte)'h', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        w.WriteUInt32(0);
        w.WriteUInt32(0);
        w.WriteUInt32(0);                                  // tag ""
        w.WriteUInt32(1);                                  // minorversion
        bool sequenced = _session.High != 0 || _session.Low != 0;
        w.WriteUInt32((uint)(ops + (sequenced ? 1 : 0)));
        int seqOffset = -1;
        if (sequenced)
        {
            seqOffset = (int)w.BytesWritten + 4 + 16;
            Op(ref w, Nfs4Op.Sequence, new Sequence4Args { SessionId = _session, SequenceId = 0, SlotId = 0, HighestSlotId = 0, CacheThis = false });
            if (ops == 2) Op(ref w, Nfs4Op.PutFh, new PutFh4Args { Object = new NfsFh4 { Data = _handle } });
        }
        body(ref w);
        w.Flush();
        return (buffer.WrittenSpan.ToArray(), seqOffset);
    }

    private XdrReader Sequenced(Nfs4Op first, Ops body, int ops = 1)
    {
        (byte[] call, int offset) = Build(ops, body);
        BinaryPrimitives.WriteUInt32BigEndian(call.AsSpan(offset), ++_seq);
        XdrReader r = Expect(Run(call), Nfs4Op.Sequence);
        _ = Sequence4ResOk.Decode(ref r);
        Next(ref r, first);
        return r;
    }

    private byte[] Run(byte[] call)
    {
        byte[] record = ArrayPool<byte>.Shared.Rent(call.Length);
        call.CopyTo(record, 0);
        CallHeaderParser.Parse(record.AsMemory(0, call.Length), out CallHeader header);
        using var rpc = RpcCall.Rent(record, call.Length, header, _connection);
        _program.HandleAsync(rpc).AsTask().GetAwaiter().GetResult();
        ReplyBuffer reply = rpc.TakeReply()!;
        byte[] bytes = reply.SealRecord()[4..].ToArray();
        ReplyBuffer.Return(reply);
        return bytes;
    }

    /// <summary>Past the RPC reply header and the COMPOUND header (status OK) to the first result's body.</summary>
    private static XdrReader Expect(byte[] reply, Nfs4Op first)
    {
        var r = new XdrReader(reply);
        r.Skip(4 * 6);                                      // xid, REPLY, MSG_ACCEPTED, verf (flavor, length 0), SUCCESS
        int status = r.ReadInt32();
        if (status != 0) throw new InvalidOperationException($"COMPOUND status {(Nfs4Status)status}");
        _ = r.ReadOpaque();
        _ = r.ReadUInt32();
        Next(ref r, first);
        return r;
    }

    private static void Next(ref XdrReader r, Nfs4Op op)
    {
        uint got = r.ReadUInt32();
        var status = (Nfs4Status)r.ReadInt32();
        if (got != (uint)op || status != Nfs4Status.Ok) throw new InvalidOperationException($"{(Nfs4Op)got}: {status}");
    }

    private static void Check(int got, int want)
    {
        if (got != want) throw new InvalidOperationException($"benchmark call answered {got}, expected {want}");
    }

    /// <summary>One steady-state call: the next seqid, the program, the reply's length.</summary>
    private int Call((byte[] Call, int SeqOffset) prepared)
    {
        byte[] record = BufferPool.Rent(prepared.Call.Length);
        prepared.Call.CopyTo(record, 0);
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(prepared.SeqOffset), ++_seq);
        CallHeaderParser.Parse(record.AsMemory(0, prepared.Call.Length), out CallHeader header);
        using var rpc = RpcCall.Rent(record, prepared.Call.Length, header, _connection);
        ValueTask pending = _program.HandleAsync(rpc);
        if (!pending.IsCompletedSuccessfully) pending.AsTask().GetAwaiter().GetResult();
        ReplyBuffer reply = rpc.TakeReply()!;
        int length = reply.WrittenBody.Length;
        // COMPOUND4res status, after the accepted-reply header (xid, REPLY, MSG_ACCEPTED, null verf, SUCCESS).
        int status = BinaryPrimitives.ReadInt32BigEndian(reply.WrittenBody[24..]);
        ReplyBuffer.Return(reply);
        return status == 0 ? length : -status;
    }

    [Benchmark]
    public int GetAttr() => Call(_getAttr) > 0 ? 4 : -1;

    [Benchmark]
    public int Read4K() => Call(_read) > 4096 ? 4096 : -1;

    [Benchmark]
    public int Write4K() => Call(_write) > 0 ? 4096 : -1;

    // ---- where the whole path allocates: the RPC layer's per-call object, the filesystem's WRITE ----

    /// <summary>What every call costs before NFSv4 runs: the record copy, the call header, the RpcCall object.</summary>
    [Benchmark]
    public int CallOverhead()
    {
        byte[] record = BufferPool.Rent(_getAttr.Call.Length);
        _getAttr.Call.CopyTo(record, 0);
        CallHeaderParser.Parse(record.AsMemory(0, _getAttr.Call.Length), out CallHeader header);
        using var rpc = RpcCall.Rent(record, _getAttr.Call.Length, header, _connection);
        return (int)rpc.Procedure;
    }

    /// <summary>The filesystem's WRITE of the same 4 KiB, no protocol.</summary>
    [Benchmark]
    public int FsWrite4K()
    {
        DittoFs.Server.Protocol.FileHandle.TryRead(_handle, out FileId file);
        ValueTask<WriteResult> pending = _storage.FileSystem.WriteAsync(new Caller(0, 0), file, 0, new ReadOnlySequence<byte>(_data), StableHow.Unstable);
        return (pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult()).Count;
    }

    // ---- the codecs alone: decode the ops' arguments, encode their results ----------------------

    [Benchmark]
    public int GetAttrCodecs()
    {
        var r = new XdrReader(_getAttr.Call.AsMemory(_getAttr.SeqOffset - 20));
        int n = DecodeHead(ref r);
        n += (int)GetAttr4Args.Decode(ref r).AttrRequest.W0 & 1;
        EncodeHead(out XdrWriter w);
        w.WriteUInt32((uint)Nfs4Op.GetAttr);
        w.WriteInt32(0);
        s_attrs.Encode(ref w);
        w.WriteOpaque(_data.AsSpan(0, 120));
        w.Flush();
        return n;
    }

    [Benchmark]
    public int Read4KCodecs()
    {
        var r = new XdrReader(_read.Call.AsMemory(_read.SeqOffset - 20));
        int n = DecodeHead(ref r);
        n += (int)Read4Args.Decode(ref r).Count;
        EncodeHead(out XdrWriter w);
        w.WriteUInt32((uint)Nfs4Op.Read);
        w.WriteInt32(0);
        new Read4ResOk { Eof = false, Data = _data }.Encode(ref w);
        w.Flush();
        return n;
    }

    [Benchmark]
    public int Write4KCodecs()
    {
        var r = new XdrReader(_write.Call.AsMemory(_write.SeqOffset - 20));
        int n = DecodeHead(ref r);
        n += (int)Write4Args.Decode(ref r).Data.Length;
        EncodeHead(out XdrWriter w);
        w.WriteUInt32((uint)Nfs4Op.Write);
        w.WriteInt32(0);
        new Write4ResOk { Count = 4096, Committed = Nfs4Const.Unstable4, WriteVerf = 7 }.Encode(ref w);
        w.Flush();
        return n;
    }

    private static int DecodeHead(ref XdrReader r)
    {
        _ = r.ReadUInt32();                                 // SEQUENCE
        int n = (int)Sequence4Args.Decode(ref r).SlotId;
        _ = r.ReadUInt32();                                 // PUTFH
        n += PutFh4Args.Decode(ref r).Object.Data.Length & 0;
        _ = r.ReadUInt32();                                 // the op
        return n;
    }

    private void EncodeHead(out XdrWriter w)
    {
        _output.ResetWrittenCount();
        w = new XdrWriter(_output);
        w.WriteUInt32((uint)Nfs4Op.Sequence);
        w.WriteInt32(0);
        new Sequence4ResOk { SessionId = _session, SequenceId = _seq, SlotId = 0, HighestSlotId = 3, TargetHighestSlotId = 3 }.Encode(ref w);
        w.WriteUInt32((uint)Nfs4Op.PutFh);
        w.WriteInt32(0);
    }
}
