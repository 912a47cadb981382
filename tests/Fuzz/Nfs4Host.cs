using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net;
using DittoFs.Server;
using DittoFs.Server.Buffers;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DittoFs.Fuzz;

/// <summary>
/// The real <see cref="Nfs4Program"/> in-process on the in-memory stores, without sockets (as
/// Nfs4AllocationTests runs it), with one export "/export" and a session kept open for the fuzzer.
/// </summary>
internal sealed class Nfs4Host : IDisposable
{
    private sealed class FakeConnection : IRpcConnection
    {
        public IPEndPoint? RemoteEndPoint { get; } = new(IPAddress.Loopback, 1000);
        public int LocalPort => 2049;
        public string ConnectionId => "fuzz";
    }

    /// <summary>One meter factory for every host of the process (a host per fuzz input).</summary>
    private static readonly IMeterFactory s_meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    /// <summary>
    /// The data directory, deleted with the host. Nfs4State keeps the confirmed client owners there (rewritten
    /// and fsynced at every new owner): on tmpfs when there is one, so an input costs no disk flush.
    /// </summary>
    private readonly string _directory = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(),
        "dittofs-fuzz-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);

    private readonly StorageHost _storage;
    private readonly Nfs4State _state;
    private readonly Nfs4Program _program;
    private readonly FakeConnection _connection = new();
    private uint _xid;
    private int _owners;

    public byte[] SessionId { get; private set; } = new byte[16];

    /// <summary>The client id of the session kept open for the fuzzer.</summary>
    public ulong ClientId { get; private set; }

    /// <summary>The last seqid used on slot 0.</summary>
    public uint SlotSeq { get; set; }

    public byte[] ExportRootHandle { get; }

    public Nfs4Host()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new DittoFsOptions
        {
            MetadataStore = "Memory",
            PayloadStore = "Memory",
            DataDirectory = _directory,
            Exports = [new ExportOptions { Path = "/export", Squash = SquashMode.None }],
            // DITTOFS_FUZZ_LEASE (seconds): a short lease makes the reaper expire the fuzzer's clients and their state within a run.
            Nfs4 = new Nfs4Options { GraceSeconds = 0, LeaseSeconds = int.TryParse(Environment.GetEnvironmentVariable("DITTOFS_FUZZ_LEASE"), out int lease) ? lease : 90 },
        });
        _storage = new StorageHost(options, new StorageMetrics(s_meters));
        _storage.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        _state = new Nfs4State(options, NullLogger<Nfs4State>.Instance);
        _program = new Nfs4Program(_storage, _state, options, NullLogger<Nfs4Program>.Instance);
        ExportRootHandle = FileHandle.ToArray(_storage.Exports.FindByPath("/export")!.Root);
        Establish();
    }

    /// <summary>EXCHANGE_ID and CREATE_SESSION with a fresh owner; slot 0 starts over.</summary>
    public void Establish()
    {
        string owner = "fuzz-" + ++_owners;
        byte[] ex = Run(Compound(1, b => Nfs4Args.ExchangeId(b, owner)));
        var r = new ReplyReader(ex);
        if (!r.CompoundOk(out _)) throw new InvalidOperationException("EXCHANGE_ID failed");
        r.Skip(8); // resop, status
        ulong clientId = r.UInt64();
        uint seq = r.UInt32();
        byte[] cs = Run(Compound(1, b => Nfs4Args.CreateSession(b, clientId, seq)));
        r = new ReplyReader(cs);
        if (!r.CompoundOk(out _)) throw new InvalidOperationException("CREATE_SESSION failed");
        r.Skip(8);
        SessionId = r.Bytes(16);
        SlotSeq = 0;
        ClientId = clientId;
    }

    /// <summary>COMPOUND4args with an empty tag, minor version 1, in an RPC call with AUTH_SYS root.</summary>
    public byte[] Compound(uint count, Action<XdrBuilder> ops, uint minor = 1)
    {
        var b = new XdrBuilder();
        b.UInt32(0).UInt32(minor).UInt32(count);
        ops(b);
        return Call(b.ToArray());
    }

    /// <summary>An RPC call to NFSv4 COMPOUND around <paramref name="args"/>.</summary>
    public byte[] Call(ReadOnlySpan<byte> args)
    {
        var b = new XdrBuilder();
        b.UInt32(++_xid).UInt32(0).UInt32(2).UInt32(100003).UInt32(4).UInt32(1);
        b.UInt32(1).Opaque(new XdrBuilder().UInt32(0).String("fuzz").UInt32(0).UInt32(0).UInt32(0).ToArray());
        b.UInt32(0).UInt32(0);
        b.Raw(args);
        return b.ToArray();
    }

    /// <summary>Runs one call through the program; returns the reply record (without its mark).</summary>
    public byte[] Run(byte[] call)
    {
        byte[] record = ArrayPool<byte>.Shared.Rent(call.Length);
        call.CopyTo(record, 0);
        if (CallHeaderParser.Parse(record.AsMemory(0, call.Length), out CallHeader header) != HeaderParse.Call)
        {
            throw new InvalidOperationException("harness built a bad call header");
        }
        using var rpc = new RpcCall(record, call.Length, header, _connection);
        ValueTask pending = _program.HandleAsync(rpc);
        if (!pending.IsCompleted && !pending.AsTask().Wait(TimeSpan.FromSeconds(30)))
        {
            throw new FuzzFindingException("COMPOUND did not complete in 30 s on the in-memory stores");
        }
        pending.GetAwaiter().GetResult();
        ReplyBuffer reply = rpc.TakeReply() ?? throw new FuzzFindingException("COMPOUND wrote no reply");
        try
        {
            return reply.SealRecord()[4..].ToArray();
        }
        finally
        {
            ReplyBuffer.Return(reply);
        }
    }

    public void Dispose()
    {
        _state.Dispose();
        _storage.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Reads an RPC reply to a COMPOUND: accepted SUCCESS, then status, tag, result count.</summary>
internal ref struct ReplyReader(ReadOnlySpan<byte> reply)
{
    private readonly ReadOnlySpan<byte> _reply = reply;
    private int _at;

    public bool Has(int n) => _at + n <= _reply.Length;

    public uint UInt32()
    {
        if (!Has(4)) throw new FuzzFindingException($"reply of {_reply.Length} bytes ends early");
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_reply[_at..]);
        _at += 4;
        return v;
    }

    public ulong UInt64() => ((ulong)UInt32() << 32) | UInt32();

    public void Skip(int n) => _at += n;

    public byte[] Bytes(int n)
    {
        if (!Has(n)) throw new FuzzFindingException($"reply of {_reply.Length} bytes ends early");
        byte[] b = _reply.Slice(_at, n).ToArray();
        _at += n;
        return b;
    }

    /// <summary>Reads up to the first result; true when the RPC was accepted and the COMPOUND status is OK.</summary>
    public bool CompoundOk(out uint status)
    {
        status = uint.MaxValue;
        _ = UInt32(); // xid
        if (UInt32() != 1) throw new FuzzFindingException("reply is not a REPLY");
        if (UInt32() != 0) return false; // MSG_DENIED
        _ = UInt32();
        Skip((int)((UInt32() + 3) & ~3u)); // verifier
        if (UInt32() != 0) return false; // accept_stat
        status = UInt32();
        Skip((int)((UInt32() + 3) & ~3u)); // tag
        _ = UInt32(); // result count
        return status == 0;
    }
}
