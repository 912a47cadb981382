using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.ScaleOut;

/// <summary>
/// The server with DittoFs:MetadataStore=Postgres, over real sockets: NFSv3 works on it, its namespace
/// survives a kill -9 (it lives in the database), and a second server on the same database sees the
/// first one's names through the same file handles. /metrics shows the database round trips and Npgsql's pool.
/// </summary>
public sealed class PostgresMetadataServerTests : IDisposable
{
    private readonly List<ServerProcess> _servers = [];

    public void Dispose()
    {
        foreach (ServerProcess server in _servers) server.Dispose();
    }

    private ServerProcess Start(string connectionString, string? dataDirectory = null)
    {
        // The connection string comes in as its environment variable, the way a secret is handed to a container.
        var server = new ServerProcess(dataDirectory, new Dictionary<string, string> { ["DittoFs:MetadataStore"] = "Postgres" });
        server.Environment["DITTOFS__POSTGRES__CONNECTIONSTRING"] = connectionString;
        _servers.Add(server);
        server.Start();
        return server;
    }

    [PostgresFact]
    public void Nfs3_OnPostgresMetadata_CreatesWritesReadsAndListsAcrossARestart_AndASecondServerSeesTheNamespace()
    {
        string connectionString = PostgresServer.Shared.CreateDatabase();
        ServerProcess a = Start(connectionString);
        Assert.DoesNotContain("Password", a.Log, StringComparison.OrdinalIgnoreCase);
        byte[] data = Encoding.UTF8.GetBytes("bytes through NFSv3, names in PostgreSQL");
        byte[] dir, file;
        using (var client = new Nfs3Client(a.NfsPort))
        {
            byte[] root = client.Mount();
            MkDir3Res mkdir = client.MkDir(root, "d");
            Assert.Equal(Nfs3Status.Ok, mkdir.Status);
            dir = mkdir.ResOk.Obj.Handle!.Value.Data.ToArray();
            file = client.CreateFile(dir, "f");
            Assert.Equal(Nfs3Status.Exist, client.Create(dir, "f", CreateMode3.Guarded).Status);
            Assert.Equal(Nfs3Status.Ok, client.Write(file, 0, data).Status);
            Assert.Equal(Nfs3Status.Ok, client.Commit(file).Status);
            for (int i = 0; i < 20; i++) client.CreateFile(dir, $"n{i}");
            Assert.Equal(Nfs3Status.Ok, client.Remove(dir, "n7").Status);
        }

        a.Kill();
        a.Start();
        using (var client = new Nfs3Client(a.NfsPort))
        {
            client.Mount();
            Lookup3Res found = client.Lookup(dir, "f");
            Assert.Equal(Nfs3Status.Ok, found.Status);
            Assert.Equal(file, found.ResOk.Object.Data.ToArray());
            Assert.Equal(data, client.ReadAll(file, data.Length));
            ReadDir3Res list = client.Call<ReadDir3Args, ReadDir3Res>(Nfs3Procedure.ReadDir, new ReadDir3Args { Dir = Nfs3Client.Fh(dir), Count = 8192 });
            Assert.Equal(Nfs3Status.Ok, list.Status);
            var names = new List<string>();
            for (Entry3? e = list.ResOk.Reply.Entries; e is not null; e = e.Next) names.Add(Encoding.UTF8.GetString(e.Name.Span));
            Assert.Equal(Enumerable.Range(0, 20).Where(i => i != 7).Select(i => $"n{i}").Append("f").Order(StringComparer.Ordinal),
                names.Where(n => n is not "." and not "..").Order(StringComparer.Ordinal));
        }

        // A second server on the same database: the same names under the same handles; what it creates, A sees.
        ServerProcess b = Start(connectionString);
        using (var clientB = new Nfs3Client(b.NfsPort))
        using (var clientA = new Nfs3Client(a.NfsPort))
        {
            Assert.Equal(clientA.Mount(), clientB.Mount());
            Lookup3Res found = clientB.Lookup(dir, "f");
            Assert.Equal(Nfs3Status.Ok, found.Status);
            Assert.Equal(file, found.ResOk.Object.Data.ToArray());
            Assert.Equal((ulong)data.Length, clientB.GetAttr(file).ResOk.ObjAttributes.Size);
            byte[] fromB = clientB.CreateFile(dir, "from-b");
            Lookup3Res seen = clientA.Lookup(dir, "from-b");
            Assert.Equal(Nfs3Status.Ok, seen.Status);
            Assert.Equal(fromB, seen.ResOk.Object.Data.ToArray());
            Assert.Equal(Nfs3Status.Exist, clientA.Create(dir, "from-b", CreateMode3.Guarded).Status);
        }

        // The database's side of it: round trips and transactions of this server, and Npgsql's pool.
        PrometheusText metrics = PrometheusText.ScrapeAsync(b.HttpPort).GetAwaiter().GetResult();
        string series = string.Join(", ", metrics.SeriesNames.Where(n => n.Contains("postgres", StringComparison.Ordinal) || n.StartsWith("db_client", StringComparison.Ordinal)));
        Assert.True(metrics.Sum("dittofs_postgres_round_trips_total") > 0, series);
        Assert.True(metrics.Sum("dittofs_postgres_transactions_total") >= 1, series);
        Assert.True(metrics.Has("dittofs_postgres_conflicts_total"), series);
        Assert.True(metrics.SeriesNames.Any(n => n.StartsWith("db_client_connection", StringComparison.Ordinal)), series);
    }
}
