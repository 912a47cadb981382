using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.Infrastructure;
using DittoFs.Storage.Tests.S3;

namespace DittoFs.Server.Tests.ScaleOut;

/// <summary>
/// Two DittoFs server processes (two ports, two data directories) on one PostgreSQL database and one
/// moto bucket, Durability=Bucket, 64 KiB blocks: the set-up of every scale-out test, whether it drives
/// the servers with its own RPC client or with kernel clients in QEMU.
/// </summary>
public sealed class TwoServers : IDisposable
{
    private readonly List<ServerProcess> _servers = [];
    // No moto where the facts skip (no PostgreSQL, not under CI): they never start a server.
    private readonly MotoServer? _moto = PostgresServer.Unavailable is null || Environment.GetEnvironmentVariable("CI") == "true" ? new MotoServer() : null;
    private readonly Dictionary<string, string> _extra;
    private string _bucket = "";
    private string _connectionString = "";

    /// <param name="settings">More server settings (e.g. NFSv4 lease and grace times), the same for both.</param>
    public TwoServers(IDictionary<string, string>? settings = null) => _extra = settings is null ? [] : new(settings);

    public const int BlockSize = 64 * 1024;

    /// <summary>A fresh database and bucket, and two servers on them.</summary>
    public (ServerProcess A, ServerProcess B) StartTwo()
    {
        _connectionString = PostgresServer.Shared.CreateDatabase(maxPoolSize: 16);
        _bucket = _moto!.CreateBucket();
        return (Start(), Start());
    }

    /// <summary>One more server on the database and bucket of <see cref="StartTwo"/>.</summary>
    public ServerProcess Start()
    {
        var settings = new Dictionary<string, string>(_extra)
        {
            ["DittoFs:MetadataStore"] = "Postgres",
            ["DittoFs:Durability"] = "Bucket",
            ["DittoFs:Cache:BlockSize"] = BlockSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var server = new ServerProcess(null, S3Settings.For(_moto!.Endpoint, _bucket, "dfs/", settings));
        server.Environment["DITTOFS__POSTGRES__CONNECTIONSTRING"] = _connectionString;
        _servers.Add(server);
        server.Start();
        return server;
    }

    public void Dispose()
    {
        foreach (ServerProcess server in _servers) server.Dispose();
        _moto?.Dispose();
    }
}
