using DittoFs.Storage.Cache;
using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Server.Tests.Cli;

/// <summary>
/// The admin verbs on a server with PayloadStore=S3 (moto_server): readiness probes the bucket,
/// flush drains unstable data to one object per block, the S3 metrics are exported, and check
/// finds an object deleted behind the server's back.
/// </summary>
public sealed class CliS3Tests : IDisposable
{
    private const int BlockSize = 1024 * 1024;
    private const string Prefix = "dfs/";
    private readonly MotoServer _moto = new();
    private readonly string _bucket;
    private readonly Dictionary<string, string> _settings;
    private readonly ServerProcess _server;

    public CliS3Tests()
    {
        _bucket = _moto.CreateBucket();
        _settings = S3Settings.For(_moto.Endpoint, _bucket, Prefix, new()
        {
            ["DittoFs:Cache:SizeBytes"] = (64 * BlockSize).ToString(),
            ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(),
            ["DittoFs:Cache:PackSmallBlocks"] = "false", // these count one object per block; packing has its own tests
            ["DittoFs:Cache:FlushIdleSeconds"] = "3600", // nothing uploads before the flush
        });
        _server = new ServerProcess(settings: _settings);
        _server.Start();
    }

    public void Dispose()
    {
        _server.Dispose();
        _moto.Dispose();
    }

    private string Server => $"http://127.0.0.1:{_server.HttpPort}";

    private string DataDirectory => Path.Combine(_server.DataDirectory, "data");

    /// <summary>The S3 settings as environment variables, for <c>dittofs check</c> (which reads no command line settings).</summary>
    private Dictionary<string, string> Environment => _settings.ToDictionary(kv => kv.Key.Replace(":", "__"), kv => kv.Value);

    [Fact]
    public async Task FlushUploadsEveryBlockAndCheckFindsADeletedObject()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Server + "/") };
        HttpResponseMessage ready = await http.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        byte[] data = new byte[2 * BlockSize + BlockSize / 2];
        Random.Shared.NextBytes(data);
        using (var client = new Nfs3Client(_server.NfsPort))
        {
            byte[] root = client.Mount();
            byte[] file = client.CreateFile(root, "big");
            for (int at = 0; at < data.Length; at += BlockSize / 2)
            {
                Assert.Equal(Nfs3Status.Ok, client.Write(file, (ulong)at, data[at..(at + BlockSize / 2)]).Status);
            }
        }
        // Complete blocks upload once settled; the half block stays dirty (FlushIdle is an hour) until the flush.
        JsonNode status = JsonNode.Parse(CliRunner.Run(["status", "--json", "--server", Server]).Output)!;
        Assert.InRange(status["flushBacklog"]!["blocks"]!.GetValue<long>(), 1, 3);
        Assert.DoesNotContain(_moto.ListKeys(_bucket, Prefix), k => k.Split('/')[2] == "0000000000000002");

        CliRunner.Result flush = CliRunner.Run(["flush", "--server", Server]);
        Assert.True(flush.ExitCode == 0, flush.Error);
        List<string> keys = _moto.ListBlockKeys(_bucket, Prefix);
        Assert.Equal(3, keys.Count);
        status = JsonNode.Parse(CliRunner.Run(["status", "--json", "--server", Server]).Output)!;
        Assert.Equal(0, status["flushBacklog"]!["blocks"]!.GetValue<long>());
        Assert.Equal(0, CliRunner.Run(["gc", "--server", Server]).ExitCode);

        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("dittofs_s3_request_duration_seconds_bucket{", metrics);
        Assert.Contains("dittofs_flush_uploads_total", metrics);

        _server.Stop();
        CliRunner.Result clean = CliRunner.Run(["check", "--data-directory", DataDirectory], Environment);
        Assert.True(clean.ExitCode == 0, clean.Output + clean.Error);
        Assert.Contains("1 files, 3 blocks; no damage", clean.Output);

        string block1 = Assert.Single(keys, k => k.Split('/')[2] == "0000000000000001");
        using (AmazonS3Client s3 = _moto.Client())
        {
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = block1 });
        }
        CliRunner.Result damaged = CliRunner.Run(["check", "--data-directory", DataDirectory], Environment);
        Assert.Equal(2, damaged.ExitCode);
        Assert.Contains("DAMAGE  /export/big: block 1 is missing (object " + block1[Prefix.Length..] + ")", damaged.Output);
    }
}
