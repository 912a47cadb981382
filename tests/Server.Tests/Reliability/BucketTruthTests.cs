using System.Security.Cryptography;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// The bucket holds the truth (issue 13): the block map is metadata, so the cache directory can go
/// and nothing uploaded is lost; a lost committed block is an IO error that `dittofs check` names;
/// metadata that does not match the bucket is refused before anything is deleted.
/// </summary>
public sealed class BucketTruthTests : IDisposable
{
    private const int BlockSize = 1024 * 1024;
    private const string Prefix = "dfs/";
    private readonly MotoServer _moto = new();
    private readonly TcpProxy _proxy;
    private readonly string _bucket;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dittofs-truth-" + Guid.NewGuid().ToString("N")[..12]);

    public BucketTruthTests()
    {
        _bucket = _moto.CreateBucket();
        _proxy = new TcpProxy(_moto.Port);
        Directory.CreateDirectory(_root);
    }

    public void Dispose()
    {
        _proxy.Dispose();
        _moto.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string CacheDirectory => Path.Combine(_root, "nvme-cache");

    private Dictionary<string, string> Settings(string dataDirectory) => S3Settings.For(_proxy.Endpoint, _bucket, Prefix, new()
    {
        ["DittoFs:DataDirectory"] = dataDirectory,
        ["DittoFs:Cache:Directory"] = CacheDirectory, // on its own path, as an instance's ephemeral disk
        ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(),
        ["DittoFs:Cache:PackSmallBlocks"] = "false", // these count one object per block; packing has its own tests
        ["DittoFs:Cache:SizeBytes"] = (64 * BlockSize).ToString(),
        ["DittoFs:Cache:FlushIdleSeconds"] = "3600",
    });

    private ServerProcess Server(string dataDirectory) => new(Path.Combine(_root, "srv-" + Guid.NewGuid().ToString("N")[..6]), Settings(dataDirectory));

    private List<string> Objects() => _moto.ListBlockKeys(_bucket, Prefix);

    private static (byte[] Data, string Sha) File(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return (data, Convert.ToHexString(SHA256.HashData(data)));
    }

    private static byte[] WriteCommitted(Nfs3Client client, byte[] root, string name, byte[] data)
    {
        byte[] fh = client.CreateFile(root, name);
        for (int at = 0; at < data.Length; at += 256 * 1024)
        {
            Assert.Equal(Nfs3Status.Ok, client.Write(fh, (ulong)at, data[at..Math.Min(data.Length, at + 256 * 1024)]).Status);
        }
        Assert.Equal(Nfs3Status.Ok, client.Commit(fh).Status);
        return fh;
    }

    private static void Flush(ServerProcess server)
    {
        CliRunner.Result flush = CliRunner.Run(["flush", "--server", $"http://127.0.0.1:{server.HttpPort}"]);
        Assert.True(flush.ExitCode == 0, flush.Output + flush.Error);
    }

    [Fact]
    public void RemovingTheCacheDirectoryBetweenRunsLosesNoFlushedByte()
    {
        string data = Path.Combine(_root, "data");
        var (big, bigSha) = File(10_000_000, 1);
        var (small, smallSha) = File(17, 2);
        using (ServerProcess server = Server(data))
        {
            server.Start();
            using (var client = new Nfs3Client(server.NfsPort))
            {
                byte[] root = client.Mount();
                WriteCommitted(client, root, "big", big);
                WriteCommitted(client, root, "small", small);
            }
            Flush(server);
            server.Stop();
        }
        List<string> objects = Objects();
        Assert.Equal(10 + 1, objects.Count); // 10 blocks, 1 block
        Directory.Delete(CacheDirectory, recursive: true);

        using (ServerProcess server = Server(data))
        {
            server.Start();
            using (var client = new Nfs3Client(server.NfsPort))
            {
                byte[] root = client.Mount();
                byte[] bigFh = client.Lookup(root, "big").ResOk.Object.Data.ToArray();
                byte[] smallFh = client.Lookup(root, "small").ResOk.Object.Data.ToArray();
                Assert.Equal(bigSha, Convert.ToHexString(SHA256.HashData(client.ReadAll(bigFh, big.Length))));
                Assert.Equal(smallSha, Convert.ToHexString(SHA256.HashData(client.ReadAll(smallFh, small.Length))));
            }
            Thread.Sleep(2000); // the start-up sweep has long finished on a bucket this small
            Assert.Equal(objects, Objects());
            CliRunner.Result gc = CliRunner.Run(["gc", "--server", $"http://127.0.0.1:{server.HttpPort}"]);
            Assert.Equal(0, gc.ExitCode);
            Assert.Equal(objects, Objects());
        }
    }

    [Fact]
    public void AnEmptyDataDirectoryOverAPopulatedBucketIsRefusedWithOneLineAndNothingDeleted()
    {
        using (ServerProcess server = Server(Path.Combine(_root, "data")))
        {
            server.Start();
            using (var client = new Nfs3Client(server.NfsPort))
            {
                WriteCommitted(client, client.Mount(), "f", File(3 * BlockSize, 3).Data);
            }
            Flush(server);
            server.Stop();
        }
        List<string> objects = Objects();
        Assert.Equal(3, objects.Count);

        Directory.Delete(CacheDirectory, recursive: true);
        using ServerProcess fresh = Server(Path.Combine(_root, "new-instance"));
        var refused = Assert.Throws<InvalidOperationException>(fresh.Start);
        Assert.Contains("server exited (1)", refused.Message);
        string line = Assert.Single(fresh.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("refusing to start"));
        Assert.Contains("restore", line);
        Assert.DoesNotContain("   at ", fresh.Log); // no stack trace
        Assert.Equal(objects, Objects());
    }

    [Fact]
    public void ALostCommittedBlockIsAnIoErrorAndCheckNamesItsFile()
    {
        string data = Path.Combine(_root, "data");
        byte[] content = File(100_000, 4).Data;
        using (ServerProcess server = Server(data))
        {
            server.Start();
            using var client = new Nfs3Client(server.NfsPort);
            byte[] root = client.Mount();
            WriteCommitted(client, root, "kept", File(5000, 5).Data);
            Flush(server);
            _proxy.Cut(); // the bucket goes away: what is committed now lives only in the cache
            byte[] dir = client.MkDir(root, "sub").ResOk.Obj.Handle!.Value.Data.ToArray();
            WriteCommitted(client, dir, "lost", content);
            server.Kill();
        }
        Directory.Delete(CacheDirectory, recursive: true); // ...and the instance's disk with it
        _proxy.Restore();

        using (ServerProcess server = Server(data))
        {
            server.Start();
            using var client = new Nfs3Client(server.NfsPort);
            byte[] root = client.Mount();
            byte[] dir = client.Lookup(root, "sub").ResOk.Object.Data.ToArray();
            byte[] fh = client.Lookup(dir, "lost").ResOk.Object.Data.ToArray();
            Assert.Equal(Nfs3Status.Io, client.Read(fh, 0, 4096).Status); // never zeros
            byte[] kept = client.Lookup(root, "kept").ResOk.Object.Data.ToArray();
            Assert.Equal(File(5000, 5).Data, client.ReadAll(kept, 5000));
            server.Stop();
            Assert.Contains("is lost", server.Log);
        }
        var environment = Settings(data).ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value);
        CliRunner.Result check = CliRunner.Run(["check", "--data-directory", data], environment);
        Assert.Equal(2, check.ExitCode);
        Assert.Contains("DAMAGE  /export/sub/lost: block 0 is missing (lost:", check.Output);
        Assert.DoesNotContain("/export/kept", check.Output);
    }
}
