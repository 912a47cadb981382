using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// Many concurrent clients against one real server: no errors, every read verifies, bounded memory;
/// and misbehaving clients (a byte-a-time sender, one that never reads its replies) do not stall the others.
/// </summary>
[Trait("Category", "Reliability")]
[Collection(LoadTestCollection.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Clients = 200;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(12);
    /// <summary>The first seconds of the load run without hostile clients: their latencies are the yardstick on a machine too loaded for 1 s.</summary>
    private static readonly TimeSpan CalmPhase = TimeSpan.FromSeconds(4);
    private const long RssLimit = 1536L * 1024 * 1024;

    private static void Ok(Nfs3Status status, string what)
    {
        if (status != Nfs3Status.Ok) throw new InvalidOperationException($"{what}: {status}");
    }

    private static ReadDir3Res ReadDir(Nfs3Client c, byte[] dir) =>
        c.Call<ReadDir3Args, ReadDir3Res>(Nfs3Procedure.ReadDir, new ReadDir3Args { Dir = Nfs3Client.Fh(dir), Count = 8192 });

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    /// <summary>
    /// The 200 clients' load while hostile clients attack from other addresses (HostileSwarm): 10
    /// non-readers doing 1 MiB READs and 50 holders of a 1 MiB record minus one byte, both closed by
    /// their deadlines (4 s here) and coming back, and a flood of 400 connections (210 admitted per
    /// address). Server RSS stays under <see cref="AttackRssLimit"/> over its level before the load,
    /// and once they leave, it falls back to within <see cref="AfterRssSlack"/> of that level
    /// (the bystanders' own work is in that slack: about 45 MiB without an attack).
    /// </summary>
    private const long AttackRssLimit = 768L * 1024 * 1024;
    private const long AfterRssSlack = 128L * 1024 * 1024;

    [Fact]
    public void TwoHundredConnectionsMixedWorkload()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:MaxConnectionsPerAddress"] = "210",
            ["DittoFs:ReplyTimeoutSeconds"] = "4",
            ["DittoFs:RecordTimeoutSeconds"] = "4",
            ["DittoFs:BufferTrimSeconds"] = "2",
        });
        server.Start();
        byte[] mibFile = CreateBigFile(server, 1024 * 1024);

        var errors = new ConcurrentQueue<string>();
        var latencies = new List<double>[Clients];
        var calmLatencies = new List<double>[Clients];
        var attackStarted = new bool[1];
        long reads = 0, verified = 0;
        using var ready = new CountdownEvent(Clients);
        using var go = new ManualResetEventSlim();
        var deadline = new long[1];
        var threads = new Thread[Clients];
        for (int i = 0; i < Clients; i++)
        {
            int id = i;
            latencies[id] = new List<double>(4096);
            calmLatencies[id] = new List<double>(4096);
            threads[id] = new Thread(() =>
            {
                Nfs3Client? client = null;
                try
                {
                    client = new Nfs3Client(server.NfsPort);
                    byte[] root = client.Mount();
                    Ok(client.MkDir(root, $"load-{id}").Status, "MKDIR");
                    byte[] dir = client.Lookup(root, $"load-{id}").ResOk.Object.Data.ToArray();
                    var random = new Random(id);
                    ready.Signal();
                    go.Wait();
                    List<double> attacked = latencies[id], calm = calmLatencies[id];
                    T Timed<T>(Func<T> call)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        T r = call();
                        (Volatile.Read(ref attackStarted[0]) ? attacked : calm).Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                        return r;
                    }
                    var live = new List<(string Name, byte[] Fh, byte[] Data)>();
                    for (int n = 0; Stopwatch.GetTimestamp() < Volatile.Read(ref deadline[0]); n++)
                    {
                        string name = $"f{n}";
                        Create3Res created = Timed(() => client.Create(dir, name));
                        Ok(created.Status, "CREATE");
                        byte[] fh = created.ResOk.Obj.Handle!.Value.Data.ToArray();
                        byte[] data = new byte[random.Next(1, 32 * 1024)];
                        random.NextBytes(data);
                        Write3Res w = Timed(() => client.Write(fh, 0, data, random.Next(4) == 0 ? StableHow.FileSync : StableHow.Unstable));
                        Ok(w.Status, "WRITE");
                        if (w.ResOk.Count != data.Length) throw new InvalidOperationException($"WRITE count {w.ResOk.Count} != {data.Length}");
                        live.Add((name, fh, data));

                        var (vName, vFh, vData) = live[random.Next(live.Count)];
                        Read3Res r = Timed(() => client.Read(vFh, 0, (uint)vData.Length + 100));
                        Ok(r.Status, "READ");
                        Interlocked.Increment(ref reads);
                        if (!r.ResOk.Eof || !r.ResOk.Data.Span.SequenceEqual(vData)) throw new InvalidOperationException($"READ {vName}: wrong data ({r.ResOk.Data.Length} bytes, eof {r.ResOk.Eof})");
                        Interlocked.Increment(ref verified);

                        GetAttr3Res a = Timed(() => client.GetAttr(vFh));
                        Ok(a.Status, "GETATTR");
                        if (a.ResOk.ObjAttributes.Size != (ulong)vData.Length) throw new InvalidOperationException($"GETATTR size {a.ResOk.ObjAttributes.Size} != {vData.Length}");
                        Lookup3Res l = Timed(() => client.Lookup(dir, vName));
                        Ok(l.Status, "LOOKUP");
                        if (!l.ResOk.Object.Data.Span.SequenceEqual(vFh)) throw new InvalidOperationException("LOOKUP: another handle");
                        if (n % 4 == 0)
                        {
                            ReadDir3Res rd = Timed(() => ReadDir(client, dir));
                            Ok(rd.Status, "READDIR");
                            int count = 0;
                            for (Entry3? e = rd.ResOk.Reply.Entries; e is not null; e = e.Next) count++;
                            if (rd.ResOk.Reply.Eof && count < live.Count) throw new InvalidOperationException($"READDIR: {count} entries < {live.Count}");
                        }
                        if (live.Count > 4)
                        {
                            int victim = random.Next(live.Count);
                            Ok(Timed(() => client.Remove(dir, live[victim].Name)).Status, "REMOVE");
                            live.RemoveAt(victim);
                        }
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue($"client {id}: {e.GetType().Name}: {e.Message}");
                    if (ready.CurrentCount > 0) try { ready.Signal(); } catch (InvalidOperationException) { }
                }
                finally
                {
                    client?.Dispose();
                }
            }, 256 * 1024) { IsBackground = true, Name = $"load-{id}" };
            threads[id].Start();
        }

        Assert.True(ready.Wait(TimeSpan.FromSeconds(120)), "clients did not connect");
        long rssBefore = server.ProcStatusBytes("VmRSS");
        var watch = Stopwatch.StartNew();
        Volatile.Write(ref deadline[0], Stopwatch.GetTimestamp() + (long)(Duration.TotalSeconds * Stopwatch.Frequency));
        go.Set();
        long peakSampled = 0;
        long nonReadersClosed, halfRecordsClosed, floodAdmitted, floodRefused;
        while (watch.Elapsed < CalmPhase)
        {
            peakSampled = Math.Max(peakSampled, server.ProcStatusBytes("VmRSS"));
            Thread.Sleep(250);
        }
        long rssCalm = server.ProcStatusBytes("VmRSS");
        Volatile.Write(ref attackStarted[0], true);
        using (var swarm = new HostileSwarm(server.NfsPort, mibFile, nonReaders: 10, halfRecords: 50, floodAttempts: 400))
        {
            while (threads.Any(t => t.IsAlive) && watch.Elapsed < Duration + TimeSpan.FromSeconds(60))
            {
                peakSampled = Math.Max(peakSampled, server.ProcStatusBytes("VmRSS"));
                Thread.Sleep(250);
            }
            (nonReadersClosed, halfRecordsClosed, floodAdmitted, floodRefused) = (swarm.NonReadersClosed, swarm.HalfRecordsClosed, swarm.FloodAdmitted, swarm.FloodRefused);
        }
        foreach (Thread t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(5)), $"{t.Name} did not finish");
        double seconds = watch.Elapsed.TotalSeconds;
        long hwm = server.ProcStatusBytes("VmHWM");

        // Gone: their buffers are trimmed from the pool (2 s here) and the memory returned.
        var after = Stopwatch.StartNew();
        long rssAfter = server.ProcStatusBytes("VmRSS");
        while (rssAfter > rssBefore + AfterRssSlack && after.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(250);
            rssAfter = server.ProcStatusBytes("VmRSS");
        }

        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        var calmAll = calmLatencies.SelectMany(l => l).ToList();
        calmAll.Sort();
        double p99 = Percentile(all, 0.99), calmP99 = Percentile(calmAll, 0.99);
        output.WriteLine($"{Clients} connections, {seconds:F1} s: {all.Count + calmAll.Count} calls ({(all.Count + calmAll.Count) / seconds:F0}/s), {verified}/{reads} reads verified");
        output.WriteLine($"latency ms, first {CalmPhase.TotalSeconds:F0} s (calm): p50 {Percentile(calmAll, 0.50):F2}, p99 {calmP99:F2}, {calmAll.Count} calls");
        output.WriteLine($"latency ms, under attack: p50 {Percentile(all, 0.50):F2}, p90 {Percentile(all, 0.90):F2}, p99 {p99:F2}, max {(all.Count > 0 ? all[^1] : 0):F2}, {all.Count} calls");
        output.WriteLine($"server RSS: before load {rssBefore / 1048576.0:F0} MiB, after the calm phase {rssCalm / 1048576.0:F0} MiB, peak sampled {peakSampled / 1048576.0:F0} MiB, VmHWM {hwm / 1048576.0:F0} MiB, " +
            $"after the attack {rssAfter / 1048576.0:F0} MiB ({after.Elapsed.TotalSeconds:F1} s later)");
        output.WriteLine($"hostile: non-readers closed {nonReadersClosed} times, half-record holders closed {halfRecordsClosed} times, flood {floodAdmitted} admitted / {floodRefused} refused");
        foreach (string e in errors.Take(10)) output.WriteLine(e);

        Assert.Empty(errors);
        Assert.True(reads > Clients, $"only {reads} reads");
        Assert.Equal(reads, verified);
        // Under 1 s; on a machine so loaded that the calm phase itself is over 1 s (other suites, a QEMU guest),
        // no worse than twice as slow: starvation shows as 10x, load noise on 2 cores reached 1.55x.
        Assert.True(p99 < 1000 || p99 <= 2 * calmP99, $"bystander p99 {p99:F0} ms under attack, {calmP99:F0} ms before");
        Assert.True(nonReadersClosed >= 10, $"non-readers closed only {nonReadersClosed} times");
        Assert.True(halfRecordsClosed >= 50, $"half-record holders closed only {halfRecordsClosed} times");
        Assert.Equal(210, floodAdmitted);
        Assert.Equal(190, floodRefused);
        Assert.True(hwm < RssLimit, $"peak RSS {hwm / 1048576} MiB");
        Assert.True(peakSampled - rssBefore < AttackRssLimit, $"RSS rose {(peakSampled - rssBefore) / 1048576} MiB under attack");
        Assert.True(rssAfter <= rssBefore + AfterRssSlack, $"RSS {rssAfter / 1048576} MiB after the attack, {rssBefore / 1048576} MiB before");
        Assert.False(server.HasExited);
    }

    private static byte[] CreateBigFile(ServerProcess server, int size = 64 * 1024)
    {
        using var setup = new Nfs3Client(server.NfsPort);
        byte[] root = setup.Mount();
        byte[] fh = setup.CreateFile(root, "big");
        byte[] data = new byte[size];
        new Random(1).NextBytes(data);
        Ok(setup.Write(fh, 0, data, StableHow.FileSync).Status, "WRITE");
        return fh;
    }

    /// <summary>4 bystander threads doing WRITE/GETATTR/READ for <paramref name="seconds"/>, then a fresh connection; per-call latencies.</summary>
    private static List<double> RunBystanders(ServerProcess server, byte[] bigFile, int seconds, ConcurrentQueue<string> errors)
    {
        var latencies = new ConcurrentBag<double>();
        var bystanders = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            try
            {
                using var c = new Nfs3Client(server.NfsPort);
                c.Rpc.Stream.ReadTimeout = 5000;
                byte[] root = c.Mount();
                byte[] fh = c.CreateFile(root, $"by-{i}-{Guid.NewGuid():N}");
                var watch = Stopwatch.StartNew();
                for (int n = 0; watch.Elapsed < TimeSpan.FromSeconds(seconds); n++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    Ok(c.Write(fh, (ulong)(n % 16) * 1024, new byte[1024]).Status, "WRITE");
                    Ok(c.GetAttr(fh).Status, "GETATTR");
                    Ok(c.Read(bigFile, 0, 4096).Status, "READ");
                    latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / 3);
                    Thread.Sleep(20);
                }
                using var fresh = new Nfs3Client(server.NfsPort); // a new connection is accepted meanwhile
                fresh.Rpc.Stream.ReadTimeout = 5000;
                long t1 = Stopwatch.GetTimestamp();
                Ok(fresh.GetAttr(fresh.Mount()).Status, "GETATTR");
                latencies.Add(Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
            }
            catch (Exception e)
            {
                errors.Enqueue($"{e.GetType().Name}: {e.Message}");
            }
        }) { IsBackground = true }).ToList();
        bystanders.ForEach(t => t.Start());
        bystanders.ForEach(t => t.Join());
        return [.. latencies.OrderBy(x => x)];
    }

    /// <summary>Bystanders keep getting answers within 1 s each while a slow sender and a non-reader are connected.</summary>
    [Fact]
    public void SlowSenderAndNonReaderDoNotStallOthers()
    {
        using var server = new ServerProcess();
        server.Start();
        byte[] bigFile = CreateBigFile(server);

        // One record, one byte per 50 ms (a GETATTR call: ~5 s to send).
        using var slow = new RpcClient(server.NfsPort);
        byte[] call = slow.BuildCall(77, Nfs3Client.NfsProgram, 3, (uint)Nfs3Procedure.GetAttr, a => a.Opaque(bigFile));
        byte[] record = new byte[call.Length + 4];
        BinaryPrimitives.WriteUInt32BigEndian(record, 0x8000_0000u | (uint)call.Length);
        call.CopyTo(record, 4);
        bool slowAnswered = false;
        var slowThread = new Thread(() =>
        {
            try
            {
                foreach (byte b in record)
                {
                    slow.SendRaw([b]);
                    Thread.Sleep(50);
                }
                slowAnswered = RpcReply.Parse(slow.ReceiveRecord()).Xid == 77;
            }
            catch (IOException) { }
        }) { IsBackground = true };
        slowThread.Start();

        var errors = new ConcurrentQueue<string>();
        List<double> sorted;
        long nonReaderSent;
        using (var deaf = new NonReader(server.NfsPort, bigFile, 64 * 1024))
        {
            sorted = RunBystanders(server, bigFile, 6, errors);
            nonReaderSent = deaf.Sent;
        }
        Assert.True(slowThread.Join(TimeSpan.FromSeconds(30)), "slow sender still running");

        output.WriteLine($"bystander calls: {sorted.Count * 3}, p50 {Percentile(sorted, 0.5):F2} ms, p99 {Percentile(sorted, 0.99):F2} ms, max {sorted.LastOrDefault():F2} ms; " +
            $"the non-reader got {nonReaderSent} calls in; slow sender answered: {slowAnswered}; server VmHWM {server.ProcStatusBytes("VmHWM") / 1048576} MiB");
        Assert.Empty(errors);
        Assert.True(sorted.Count > 50, $"only {sorted.Count} bystander rounds");
        Assert.True(sorted[^1] < 1000, $"a bystander call took {sorted[^1]:F0} ms");
        Assert.True(slowAnswered, "the slow sender's call was not answered");
        using var after = new Nfs3Client(server.NfsPort);
        Assert.Equal(Nfs3Status.Ok, after.GetAttr(after.Mount()).Status);
    }

    /// <summary>
    /// Enough non-readers to hold every server-wide call slot if blocked sends kept them
    /// (MaxConcurrentCalls / MaxConcurrentCallsPerConnection = 1024 / 64 = 16): the others are still served.
    /// </summary>
    [Fact]
    public void ManyNonReadersDoNotStallOthers()
    {
        using var server = new ServerProcess();
        server.Start();
        byte[] bigFile = CreateBigFile(server);

        var deaf = Enumerable.Range(0, 20).Select(_ => new NonReader(server.NfsPort, bigFile, 64 * 1024)).ToList();
        var errors = new ConcurrentQueue<string>();
        List<double> sorted;
        try
        {
            Thread.Sleep(3000); // let them fill their socket buffers
            sorted = RunBystanders(server, bigFile, 4, errors);
            output.WriteLine($"non-readers got {string.Join(", ", deaf.Select(d => d.Sent))} calls in; server VmHWM {server.ProcStatusBytes("VmHWM") / 1048576} MiB");
        }
        finally
        {
            deaf.ForEach(d => d.Dispose());
        }

        output.WriteLine($"bystander calls: {sorted.Count * 3}, p50 {Percentile(sorted, 0.5):F2} ms, p99 {Percentile(sorted, 0.99):F2} ms, max {sorted.LastOrDefault():F2} ms");
        foreach (string e in errors.Take(5)) output.WriteLine(e);
        Assert.Empty(errors);
        Assert.True(sorted.Count > 30, $"only {sorted.Count} bystander rounds");
        Assert.True(sorted[^1] < 1000, $"a bystander call took {sorted[^1]:F0} ms");
        using var after = new Nfs3Client(server.NfsPort);
        Assert.Equal(Nfs3Status.Ok, after.GetAttr(after.Mount()).Status);
    }
}

// Run alone, after the parallel classes: its bystander p99 bound is about this server, and beside the two-server
// PostgreSQL tests on 2 cores the calm phase alone reached 400-800 ms (the bound failed on the old build too).
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadTestCollection
{
    public const string Name = "load";
}
