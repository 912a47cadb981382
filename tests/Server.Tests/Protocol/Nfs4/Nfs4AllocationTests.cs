using System.Diagnostics.Metrics;
using DittoFs.Storage.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using System.Buffers;
using System.Diagnostics;
using System.Reflection;
using System.Net;
using DittoFs.Server.Buffers;
using DittoFs.Server.Metrics;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// The hot NFSv4.1 path allocates nothing per operation: a COMPOUND with 80 more
/// PUTFH/GETATTR/ACCESS operations costs (almost) no more managed memory than a short one.
/// Runs the program in-process on the in-memory stores, without sockets, with the
/// per-operation metrics recorded into the real OpenTelemetry SDK.
/// </summary>
public sealed class Nfs4AllocationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private StorageHost _storage = null!;
    private Nfs4State _state = null!;
    private Nfs4Program _program = null!;
    private ServiceProvider _telemetry = null!;
    private readonly Nfs4TestClient _builder = new(0, connect: false);

    private sealed class FakeConnection : IRpcConnection
    {
        public IPEndPoint? RemoteEndPoint { get; } = new(IPAddress.Loopback, 1000);
        public int LocalPort => 2049;
        public string ConnectionId => "test";
    }

    private readonly FakeConnection _connection = new();

    public async Task InitializeAsync()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new DittoFsOptions
        {
            MetadataStore = "Memory",
            PayloadStore = "Memory",
            DataDirectory = Path.Combine(Path.GetTempPath(), "dittofs-alloc-" + Guid.NewGuid().ToString("N")[..8]),
            Exports = [new ExportOptions { Path = "/export", Squash = SquashMode.None }],
        });
        IMeterFactory meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        _storage = new StorageHost(options, new StorageMetrics(meters));
        await _storage.OpenAsync(CancellationToken.None);
        _state = new Nfs4State(options, NullLogger<Nfs4State>.Instance);
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddDittoFsTelemetry();
        _telemetry = services.BuildServiceProvider();
        _telemetry.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>(); // listening: every operation is recorded
        NfsMetrics metrics = _telemetry.GetRequiredService<NfsMetrics>();
        Assert.True(metrics.Enabled);
        _program = new Nfs4Program(_storage, _state, options, NullLogger<Nfs4Program>.Instance, metrics);
    }

    public async Task DisposeAsync()
    {
        _state.Dispose();
        await _storage.DisposeAsync();
        await _telemetry.DisposeAsync();
    }

    /// <summary>Runs one call through the program and returns the reply record.</summary>
    private byte[] Run(byte[] call)
    {
        byte[] record = ArrayPool<byte>.Shared.Rent(call.Length);
        call.CopyTo(record, 0);
        CallHeaderParser.Parse(record.AsMemory(0, call.Length), out CallHeader header);
        using var rpc = RpcCall.Rent(record, call.Length, header, _connection);
        ValueTask pending = _program.HandleAsync(rpc);
        // The in-memory stores complete synchronously; a first CREATE_SESSION waits for the owners file's background write.
        if (!pending.IsCompleted) Assert.True(pending.AsTask().Wait(TimeSpan.FromSeconds(30)), "COMPOUND did not complete");
        pending.GetAwaiter().GetResult();
        ReplyBuffer reply = rpc.TakeReply()!;
        byte[] bytes = reply.SealRecord()[4..].ToArray();
        ReplyBuffer.Return(reply);
        return bytes;
    }

    /// <summary>Runs one call and measures what it allocated (the reply copy is made after).</summary>
    private static long Median(long[] values)
    {
        long[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }

    private long Measure(byte[] call)
    {
        byte[] record = ArrayPool<byte>.Shared.Rent(call.Length);
        call.CopyTo(record, 0);
        CallHeaderParser.Parse(record.AsMemory(0, call.Length), out CallHeader header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (var rpc = RpcCall.Rent(record, call.Length, header, _connection))
        {
            ValueTask pending = _program.HandleAsync(rpc);
            Assert.True(pending.IsCompletedSuccessfully);
            ReplyBuffer reply = rpc.TakeReply()!;
            ReplyBuffer.Return(reply);
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary><paramref name="which"/>: 1 = PUTFH, 2 = GETATTR, 4 = ACCESS repeated (SAVEFH fills the other places).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void PutFhGetAttrAccessAllocateNothingPerOperation(int which)
    {
        // Session set-up through the program itself.
        CompoundReply ex = Nfs4TestClient.Parse(Run(_builder.BuildCompound(1, 1, 1, b => Nfs4TestClient.ExchangeIdArgs(b, "alloc"))));
        ex.Next();
        ulong clientId = ex.Reader.UInt64();
        uint seq = ex.Reader.UInt32();
        CompoundReply cs = Nfs4TestClient.Parse(Run(_builder.BuildCompound(2, 1, 1, b => Nfs4TestClient.CreateSessionArgs(b, clientId, seq, maxOps: 200))));
        Assert.Equal(Nfs4Status.Ok, cs.Status);
        cs.Next();
        _builder.UseSession(cs.Reader.Raw(16));

        CompoundReply fh = Nfs4TestClient.Parse(Run(_builder.BuildCompound(3, 1, 4, b =>
        {
            _builder.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        })));
        Assert.Equal(Nfs4Status.Ok, fh.Status);
        fh.Next();
        fh.Reader.Raw(36);
        fh.Next();
        fh.Next();
        fh.Next();
        byte[] handle = fh.Reader.Opaque();

        void Ops(XdrWriterBox b, int repeat)
        {
            _builder.Sequence(b);
            for (int i = 0; i < repeat; i++)
            {
                if ((which & 1) != 0 || i == 0)
                {
                    b.UInt32((uint)Nfs4Op.PutFh);
                    b.Opaque(handle);
                }
                else Nfs4TestClient.Op(b, Nfs4Op.SaveFh);
                if ((which & 2) != 0)
                {
                    b.UInt32((uint)Nfs4Op.GetAttr);
                    Nfs4OperationTests.Bitmap(b, 1, 3, 4, 8, 20, 33, 35, 36, 37, 45, 47, 52, 53, 55);
                }
                else Nfs4TestClient.Op(b, Nfs4Op.SaveFh);
                if ((which & 4) != 0)
                {
                    b.UInt32((uint)Nfs4Op.Access);
                    b.UInt32(0x1F);
                }
                else Nfs4TestClient.Op(b, Nfs4Op.SaveFh);
            }
        }
        const int Rounds = 50;
        var shortCalls = new List<byte[]>();
        var longCalls = new List<byte[]>();
        for (int i = 0; i < Rounds + 10; i++)
        {
            shortCalls.Add(_builder.BuildCompound(100 + (uint)i, 1, 1 + 3, b => Ops(b, 1)));
            longCalls.Add(_builder.BuildCompound(1000 + (uint)i, 1, 1 + 3 * 28, b => Ops(b, 28)));
        }
        // Warm up (JIT, pools), and check the replies are what we think.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(Nfs4Status.Ok, Nfs4TestClient.Parse(Run(shortCalls[i])).Status);
            Assert.Equal(Nfs4Status.Ok, Nfs4TestClient.Parse(Run(longCalls[i])).Status);
        }
        var shortBytes = new long[Rounds];
        var longBytes = new long[Rounds];
        for (int i = 0; i < Rounds; i++)
        {
            shortBytes[i] = Measure(shortCalls[i + 10]);
            longBytes[i] = Measure(longCalls[i + 10]);
        }
        // Medians: what every COMPOUND allocates. A one-off on this thread during one round (a pool or table growing
        // once, 7,200 B in one CI run) is no cost per operation; a per-operation allocation shows in every round.
        long shortMedian = Median(shortBytes), longMedian = Median(longBytes);
        double perOp = (double)(longMedian - shortMedian) / (3 * 27);
        output.WriteLine($"which={which} short compound: {shortMedian} B (mean {shortBytes.Average():F0}), long compound: {longMedian} B (mean {longBytes.Average():F0}), per extra op: {perOp:F1} B");
        // Debug builds make every async state machine a class (one allocation per async call): only an optimized build can show zero.
        if (typeof(Nfs4Program).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            output.WriteLine("Debug build: allocations not asserted (run with -c Release)");
            return;
        }
        Assert.True(perOp < 1, $"{perOp:F1} bytes allocated per extra operation");
        Assert.True(shortMedian < 512, $"{shortMedian} bytes allocated per COMPOUND");
    }
}

