using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace DittoFs.Storage.Tests.S3;

/// <summary>
/// A real S3-compatible server for tests: <c>moto_server</c> (Python moto) on a free loopback port,
/// started as a child process and killed by its PID. moto keeps everything in memory.
/// </summary>
public sealed class MotoServer : IDisposable
{
    public const string AccessKey = "testing";
    public const string SecretKey = "testing";
    public const string Region = "us-east-1";
    private readonly Process _process;

    public MotoServer()
    {
        Port = FreePort();
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-H");
        psi.ArgumentList.Add("127.0.0.1");
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(Port.ToString());
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start moto_server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"moto_server exited with {_process.ExitCode}");
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                break;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(100);
            }
        }
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>moto_server on PATH, or the MOTO_SERVER environment variable.</summary>
    public static string Executable => Environment.GetEnvironmentVariable("MOTO_SERVER") ?? "moto_server";

    /// <summary>A plain SDK client on this server (or on <paramref name="endpoint"/>), for test set-up and checks.</summary>
    public AmazonS3Client Client(string? endpoint = null) => new(
        new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config
        {
            ServiceURL = endpoint ?? Endpoint,
            AuthenticationRegion = Region,
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>Creates a fresh bucket and returns its name.</summary>
    public string CreateBucket()
    {
        string name = "dittofs-" + Guid.NewGuid().ToString("N")[..12];
        using AmazonS3Client client = Client();
        client.PutBucketAsync(new PutBucketRequest { BucketName = name }).GetAwaiter().GetResult();
        return name;
    }

    /// <summary>Every key in a bucket under a prefix.</summary>
    public List<string> ListKeys(string bucket, string prefix = "")
    {
        using AmazonS3Client client = Client();
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        while (true)
        {
            ListObjectsV2Response response = client.ListObjectsV2Async(request).GetAwaiter().GetResult();
            foreach (S3Object o in response.S3Objects ?? []) keys.Add(o.Key);
            if (response.IsTruncated != true) return keys;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <summary>The keys of data blocks under a prefix (not the filesystem id, not shipped metadata).</summary>
    public List<string> ListBlockKeys(string bucket, string prefix) =>
        [.. ListKeys(bucket, prefix).Where(k => DittoFs.Storage.Cache.ObjectKeys.TryParse(k[prefix.Length..], out _, out _, out _))];

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
