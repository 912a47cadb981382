using System.Diagnostics;
using System.Net;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Rpc;

/// <summary>
/// The RPC layer's limits over real sockets, one per test, each with short deadlines: a client
/// that does not read is bounded then closed, the server-wide reply cap makes calls wait, a
/// connection flood is refused over the limits, a half-sent record and an idle connection are
/// closed. A bystander is served meanwhile.
/// </summary>
public sealed class HostileClientTests(ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;
    private static readonly IPAddress SecondAddress = IPAddress.Parse("127.0.0.2");

    private static ServerProcess Start(Dictionary<string, string> settings)
    {
        var server = new ServerProcess(settings: settings);
        server.Start();
        return server;
    }

    /// <summary>A 1 MiB file of known bytes; its handle.</summary>
    private static byte[] CreateMiBFile(ServerProcess server, out byte[] data)
    {
        using var setup = new Nfs3Client(server.NfsPort);
        byte[] root = setup.Mount();
        byte[] fh = setup.CreateFile(root, "mib");
        data = new byte[MiB];
        new Random(3).NextBytes(data);
        Assert.Equal(Nfs3Status.Ok, setup.Write(fh, 0, data, StableHow.FileSync).Status);
        return fh;
    }

    private static async Task<double> MetricAsync(ServerProcess server, string name, params string[] labels) =>
        (await PrometheusText.ScrapeAsync(server.HttpPort)).Sum(name, labels);

    /// <summary>Samples <paramref name="name"/> every 100 ms until <paramref name="done"/>; the largest value.</summary>
    private static async Task<double> PeakAsync(ServerProcess server, string name, Func<bool> done, TimeSpan timeout)
    {
        double peak = 0;
        var watch = Stopwatch.StartNew();
        while (!done() && watch.Elapsed < timeout)
        {
            peak = Math.Max(peak, await MetricAsync(server, name));
            await Task.Delay(100);
        }
        return peak;
    }

    /// <summary>GETATTR and a 4 KiB READ in a loop until <paramref name="stop"/>; the slowest call in ms.</summary>
    private static Task<double> BystanderAsync(ServerProcess server, byte[] file, Func<bool> stop) => Task.Run(() =>
    {
        using var c = new Nfs3Client(server.NfsPort);
        c.Rpc.Stream.ReadTimeout = 10_000;
        byte[] root = c.Mount();
        double slowest = 0;
        while (!stop())
        {
            long t0 = Stopwatch.GetTimestamp();
            Assert.Equal(Nfs3Status.Ok, c.GetAttr(root).Status);
            Assert.Equal(Nfs3Status.Ok, c.Read(file, 0, 4096).Status);
            slowest = Math.Max(slowest, Stopwatch.GetElapsedTime(t0).TotalMilliseconds / 2);
            Thread.Sleep(20);
        }
        return slowest;
    });

    [Fact]
    public async Task NonReaderIsBoundedThenClosedWhileBystanderIsServed()
    {
        using ServerProcess server = Start(new()
        {
            ["DittoFs:MaxReplyBytesPerConnection"] = (4 * MiB).ToString(),
            ["DittoFs:ReplyTimeoutSeconds"] = "3",
        });
        byte[] file = CreateMiBFile(server, out _);

        using var deaf = new NonReader(server.NfsPort, file, MiB);
        Task<double> bystander = BystanderAsync(server, file, () => deaf.ClosedAtMs > 0);
        double peak = await PeakAsync(server, "dittofs_rpc_reply_bytes", () => deaf.ClosedAtMs > 0, TimeSpan.FromSeconds(30));
        Assert.True(deaf.WaitClosed(TimeSpan.FromSeconds(5)), "the non-reader was not closed");
        double slowest = await bystander;
        double dropped = await MetricAsync(server, "dittofs_rpc_connections_dropped_total", "reason=reply_timeout");
        output.WriteLine($"non-reader: {deaf.Sent} calls sent, closed after {deaf.ClosedAtMs} ms; peak reply bytes {peak / MiB:F2} MiB; slowest bystander call {slowest:F0} ms");

        // Calls are admitted at their READ count: 3 x (1 MiB + 512) fit in 4 MiB, a 4th waits.
        Assert.True(peak <= 4 * MiB, $"{peak} reply bytes held for a client that does not read");
        Assert.True(deaf.ClosedAtMs >= 2500, $"closed after {deaf.ClosedAtMs} ms, before the 3 s reply timeout");
        Assert.Equal(1, dropped);
        Assert.True(slowest < 1000, $"a bystander call took {slowest:F0} ms");
    }

    [Fact]
    public async Task OverTheServerWideReplyCapCallsWaitUntilRoomIsFreed()
    {
        using ServerProcess server = Start(new()
        {
            ["DittoFs:MaxReplyBytesPerConnection"] = (2 * MiB).ToString(),
            ["DittoFs:MaxReplyBytes"] = (4 * MiB).ToString(),
            ["DittoFs:ReplyTimeoutSeconds"] = "5",
        });
        byte[] file = CreateMiBFile(server, out byte[] data);

        var deaf = Enumerable.Range(0, 5).Select(_ => new NonReader(server.NfsPort, file, MiB)).ToList();
        try
        {
            using var reader = new Nfs3Client(server.NfsPort);
            reader.Rpc.Stream.ReadTimeout = 60_000;
            byte[] root = reader.Mount();
            // Wait until the non-readers hold the whole budget (each up to 1 MiB + 512; three fill 4 MiB).
            var watch = Stopwatch.StartNew();
            while (await MetricAsync(server, "dittofs_rpc_reply_bytes") < 3 * MiB && watch.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
            double held = await MetricAsync(server, "dittofs_rpc_reply_bytes");
            Task<double> peakTask = PeakAsync(server, "dittofs_rpc_reply_bytes", () => deaf.All(d => d.ClosedAtMs > 0), TimeSpan.FromSeconds(40));

            long t0 = Stopwatch.GetTimestamp();
            long firstCloseBeforeSend = deaf.Min(d => d.ClosedTimestamp);
            Read3Res read = reader.Read(file, 0, MiB);
            long answered = Stopwatch.GetTimestamp();
            double waitedMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            double peak = await peakTask;
            double waits = await MetricAsync(server, "dittofs_rpc_reply_waits_total");
            output.WriteLine($"held {held / MiB:F2} MiB; 1 MiB READ answered after {waitedMs:F0} ms; peak {peak / MiB:F2} MiB; {waits} waits; non-readers closed at {string.Join(", ", deaf.Select(d => d.ClosedAtMs))} ms");

            Assert.True(held >= 3 * MiB, $"the non-readers held only {held} bytes");
            Assert.Equal(Nfs3Status.Ok, read.Status);
            Assert.True(read.ResOk.Data.Span.SequenceEqual(data), "wrong data");
            Assert.Equal(long.MaxValue, firstCloseBeforeSend); // sent while the non-readers held the budget
            Assert.True(answered >= deaf.Min(d => d.ClosedTimestamp), $"answered after {waitedMs:F0} ms, before any non-reader was closed: it did not wait for room");
            Assert.True(peak <= 4 * MiB, $"{peak} reply bytes over the 4 MiB server-wide cap");
            Assert.True(waits > 0);
            Assert.True(deaf.All(d => d.WaitClosed(TimeSpan.FromSeconds(40))), "a non-reader was not closed");
            Assert.Equal(Nfs3Status.Ok, reader.GetAttr(root).Status);
        }
        finally
        {
            deaf.ForEach(d => d.Dispose());
        }
    }

    /// <summary>True when a NULL call on a new connection is answered; false when the server closes it first.</summary>
    private static bool Admitted(RpcClient client)
    {
        client.Stream.ReadTimeout = 10_000;
        try
        {
            return client.Call(Nfs3Client.NfsProgram, 3, 0).Accepted;
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ConnectionFloodOverTheLimitsIsRefusedWhileOthersAreServed()
    {
        using ServerProcess server = Start(new()
        {
            ["DittoFs:MaxConnections"] = "12",
            ["DittoFs:MaxConnectionsPerAddress"] = "8",
        });
        using var bystander = new Nfs3Client(server.NfsPort);
        byte[] root = bystander.Mount();
        var watch = Stopwatch.StartNew();
        while (await MetricAsync(server, "dittofs_rpc_connections") != 1 && watch.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50); // the start-up probe is gone

        var flood = new List<RpcClient>();
        try
        {
            int admittedHere = 0, admittedThere = 0;
            for (int i = 0; i < 20; i++)
            {
                var c = new RpcClient(server.NfsPort);
                flood.Add(c);
                if (Admitted(c)) admittedHere++;
                Assert.Equal(Nfs3Status.Ok, bystander.GetAttr(root).Status);
            }
            for (int i = 0; i < 10; i++)
            {
                var c = new RpcClient(server.NfsPort, SecondAddress);
                flood.Add(c);
                if (Admitted(c)) admittedThere++;
                Assert.Equal(Nfs3Status.Ok, bystander.GetAttr(root).Status);
            }
            PrometheusText m = await PrometheusText.ScrapeAsync(server.HttpPort);
            output.WriteLine($"127.0.0.1: {admittedHere} of 20 admitted; 127.0.0.2: {admittedThere} of 10; refused per address {m.Sum("dittofs_rpc_connections_refused_total", "reason=per_address")}, total {m.Sum("dittofs_rpc_connections_refused_total", "reason=total")}");

            Assert.Equal(7, admittedHere); // 8 per address, the bystander is one
            Assert.Equal(4, admittedThere); // 12 in all
            Assert.Equal(13, m.Sum("dittofs_rpc_connections_refused_total", "reason=per_address"));
            Assert.Equal(6, m.Sum("dittofs_rpc_connections_refused_total", "reason=total"));
            Assert.Equal(12, m.Sum("dittofs_rpc_connections"));
            Assert.Single(server.Log.Split('\n'), l => l.Contains("from that address", StringComparison.Ordinal)); // logged once per address per minute
        }
        finally
        {
            flood.ForEach(c => c.Dispose());
        }

        // Once the flood is gone, its address is admitted again.
        watch.Restart();
        while (await MetricAsync(server, "dittofs_rpc_connections") != 1 && watch.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        using var again = new RpcClient(server.NfsPort);
        Assert.True(Admitted(again));
        Assert.Equal(Nfs3Status.Ok, bystander.GetAttr(root).Status);
    }

    /// <summary>A record begun and never finished: 1 MiB minus one byte of a 1 MiB record, only its mark, two bytes of a mark.</summary>
    [Theory]
    [InlineData(MiB - 1)]
    [InlineData(0)]
    [InlineData(-2)]
    public async Task HalfSentRecordIsClosedAfterTheRecordTimeout(int bodyBytes)
    {
        using ServerProcess server = Start(new() { ["DittoFs:RecordTimeoutSeconds"] = "2" });
        byte[] file = CreateMiBFile(server, out _);
        using var holder = new RpcClient(server.NfsPort);
        byte[] bytes = HostileRecords.PartialRecord(MiB, Math.Max(0, bodyBytes));
        if (bodyBytes < 0) bytes = bytes[..2];
        var watch = Stopwatch.StartNew();
        holder.SendRaw(bytes);

        bool stop = false;
        Task<double> bystander = BystanderAsync(server, file, () => Volatile.Read(ref stop));
        bool closed = holder.IsClosedByServer(15_000);
        double closedAfter = watch.Elapsed.TotalMilliseconds;
        Volatile.Write(ref stop, true);
        double slowest = await bystander;
        output.WriteLine($"{bytes.Length} bytes sent; closed {closed} after {closedAfter:F0} ms; slowest bystander call {slowest:F0} ms");

        Assert.True(closed, "the connection holding a half-sent record stayed open");
        Assert.True(closedAfter >= 1900, $"closed after {closedAfter:F0} ms, before the 2 s deadline");
        Assert.Equal(1, await MetricAsync(server, "dittofs_rpc_connections_dropped_total", "reason=record_timeout"));
        Assert.True(slowest < 1000, $"a bystander call took {slowest:F0} ms");
    }

    [Fact]
    public async Task IdleConnectionIsClosedAndABusyOneIsNot()
    {
        using ServerProcess server = Start(new()
        {
            ["DittoFs:IdleTimeoutSeconds"] = "3",
            ["DittoFs:RecordTimeoutSeconds"] = "1",
        });
        using var idle = new RpcClient(server.NfsPort);
        using var busy = new RpcClient(server.NfsPort);
        Assert.True(idle.Call(Nfs3Client.NfsProgram, 3, 0).Accepted);
        var watch = Stopwatch.StartNew();
        Task<bool> idleClosed = Task.Run(() => idle.IsClosedByServer(15_000));
        while (watch.Elapsed < TimeSpan.FromSeconds(6))
        {
            Assert.True(busy.Call(Nfs3Client.NfsProgram, 3, 0).Accepted); // a call every 500 ms keeps it open
            await Task.Delay(500);
        }
        Assert.True(await idleClosed, "the idle connection stayed open");
        Assert.True(busy.Call(Nfs3Client.NfsProgram, 3, 0).Accepted);
        Assert.Equal(1, await MetricAsync(server, "dittofs_rpc_connections_dropped_total", "reason=idle_timeout"));
    }
}
