using System.Net.Http;
using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// The server with PayloadStore=S3 behind a bucket that fails: 503 SlowDown for everything, then 500
/// InternalError for half the requests, then answers two seconds late (<see cref="FaultProxy"/> in
/// front of moto). Writes and COMMITs go on (the block cache holds the data); once S3 heals the
/// flusher uploads every block; after kill -9 the cold cache reads every committed byte back from
/// the bucket, and <c>dittofs check</c> finds every block's object.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class S3FaultTests(ITestOutputHelper output)
{
    private const int BlockSize = 256 * 1024;
    private const string Prefix = "dfs/";

    private static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Writes and COMMITs, retrying JUKEBOX (the cache full of blocks not yet uploaded) as a client does.</summary>
    private static void WriteCommitted(Nfs3Client client, byte[] fh, byte[] data)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        const int piece = 100_000;
        for (int at = 0; at < data.Length;)
        {
            int n = Math.Min(piece, data.Length - at);
            Nfs3Status s = client.Write(fh, (ulong)at, data[at..(at + n)]).Status;
            if (s == Nfs3Status.Jukebox && DateTime.UtcNow < deadline) { Thread.Sleep(50); continue; }
            Assert.Equal(Nfs3Status.Ok, s);
            at += n;
        }
        Assert.Equal(Nfs3Status.Ok, client.Commit(fh).Status);
    }

    [Fact]
    public async Task CommittedDataSurvivesS3ErrorsAndSlownessAndUploadsOnceHealed()
    {
        using var moto = new MotoServer();
        using var proxy = new FaultProxy(moto.Port);
        string bucket = moto.CreateBucket();
        var settings = S3Settings.For(proxy.Endpoint, bucket, Prefix, new()
        {
            ["DittoFs:Cache:SizeBytes"] = (32 * BlockSize).ToString(),
            ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(),
            ["DittoFs:Cache:PackSmallBlocks"] = "false", // these count one object per block; packing has its own tests
            ["DittoFs:Cache:FlushIdleSeconds"] = "0.3",
            ["DittoFs:Cache:MaxRetryDelaySeconds"] = "0.5",
            ["Logging:LogLevel:DittoFs.Storage"] = "Information", // the recovery lines
        });
        using var server = new ServerProcess(settings: settings);
        proxy.Inject(S3Fault.SlowDown); // down from the start
        server.Start();

        var files = new List<(string Name, byte[] Handle, byte[] Data)>();
        using (var client = new Nfs3Client(server.NfsPort))
        {
            byte[] root = client.Mount();
            void Phase(string name, int length, int seed)
            {
                byte[] data = Random(length, seed);
                byte[] fh = client.CreateFile(root, name);
                WriteCommitted(client, fh, data);
                files.Add((name, fh, data));
                Assert.Equal(data, client.ReadAll(fh, data.Length, BlockSize)); // served by the cache meanwhile
                int before = proxy.Requests;
                Thread.Sleep(1500); // the flusher tries meanwhile
                output.WriteLine($"{name}: {proxy.Requests - before} requests while waiting");
            }

            Phase("during-503", 5 * BlockSize + 1234, 1);
            Assert.Empty(moto.ListBlockKeys(bucket, Prefix));
            proxy.Inject(S3Fault.InternalError, fraction: 0.5);
            Phase("during-500", 4 * BlockSize, 2);
            proxy.Delay = TimeSpan.FromSeconds(2);
            proxy.Inject(S3Fault.Slow);
            Phase("during-slow", 3 * BlockSize - 7, 3);
            output.WriteLine($"requests {proxy.Requests}, faulted {proxy.Faulted}");
            Assert.True(proxy.Faulted > 10, $"faulted {proxy.Faulted}");
        }

        // Healed: the flusher drains everything on its own.
        proxy.Heal();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}/") };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long backlog;
        while (true)
        {
            JsonNode status = JsonNode.Parse(await http.GetStringAsync("admin/status"))!;
            backlog = status["flushBacklog"]!["blocks"]!.GetValue<long>();
            if (backlog == 0 || DateTime.UtcNow > deadline) break;
            await Task.Delay(200);
        }
        Assert.Equal(0, backlog);
        // The log said so: the bucket failing (metadata shipping from the start, uploads when they ran
        // into faults, with the backlog), a few lines for many failed requests, not one per retry, and the recovery.
        // Lines arrive asynchronously, and shipping may recover after the upload backlog drained.
        string log = server.WaitForLog("Metadata shipping recovered after", TimeSpan.FromSeconds(60));
        if (log.Contains("Object store uploads failing", StringComparison.Ordinal)) log = server.WaitForLog("Object store uploads recovered after", TimeSpan.FromSeconds(60));
        int failing = log.Split('\n').Count(l => l.Contains(" failing", StringComparison.Ordinal));
        Assert.True(failing is >= 1 and <= 6, $"{failing} 'failing' lines for {proxy.Faulted} failed requests:\n{log}");
        Assert.Contains("Metadata shipping to the bucket failing: ", log);
        Assert.Contains("Metadata shipping recovered after", log);
        if (log.Contains("Object store uploads failing", StringComparison.Ordinal))
        {
            Assert.Matches(@"Object store uploads failing: .*; backlog \d+ dirty blocks", log);
            Assert.Contains("Object store uploads recovered after", log);
        }
        int expectedBlocks = files.Sum(f => (f.Data.Length + BlockSize - 1) / BlockSize);
        var blocks = moto.ListBlockKeys(bucket, Prefix).Select(k => string.Join('/', k.Split('/')[1..3])).Distinct().ToList();
        Assert.Equal(expectedBlocks, blocks.Count);

        // kill -9: the restart drops clean cached copies, so reads come from the bucket, through faults.
        server.Kill();
        proxy.Inject(S3Fault.SlowDown, fraction: 0.3);
        server.Start();
        using (var client = new Nfs3Client(server.NfsPort))
        {
            byte[] root = client.Mount();
            foreach (var (name, handle, data) in files)
            {
                Lookup3Res found = client.Lookup(root, name);
                Assert.Equal(Nfs3Status.Ok, found.Status);
                Assert.Equal(handle, found.ResOk.Object.Data.ToArray());
                Assert.Equal(data, client.ReadAll(handle, data.Length, BlockSize));
            }
        }
        server.Stop();

        proxy.Heal();
        var environment = settings.ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value);
        CliRunner.Result check = CliRunner.Run(["check", "--data-directory", Path.Combine(server.DataDirectory, "data")], environment);
        output.WriteLine(check.Output);
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.Contains($"3 files, {expectedBlocks} blocks; no damage", check.Output);
    }
}
