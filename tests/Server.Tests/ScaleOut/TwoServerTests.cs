using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.ScaleOut;

/// <summary>
/// Two servers (<see cref="TwoServers"/>: two ports, one PostgreSQL database, one moto bucket,
/// Durability=Bucket), NFSv3 over real sockets: what one COMMITs the other reads back byte for byte
/// (even over blocks it had cached), both create into one directory at once, and a kill -9 of one
/// leaves the other's clients undisturbed.
/// </summary>
public sealed class TwoServerTests : IDisposable
{
    private readonly TwoServers _servers = new();

    public void Dispose() => _servers.Dispose();

    private (ServerProcess A, ServerProcess B) StartTwo() => _servers.StartTwo();

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void WriteCommit(Nfs3Client client, byte[] file, ulong offset, byte[] data)
    {
        for (int at = 0; at < data.Length; at += 256 * 1024)
        {
            byte[] chunk = data.AsSpan(at, Math.Min(256 * 1024, data.Length - at)).ToArray();
            Assert.Equal(Nfs3Status.Ok, client.Write(file, offset + (ulong)at, chunk).Status);
        }
        Assert.Equal(Nfs3Status.Ok, client.Commit(file).Status);
    }

    private static byte[] ReadWhole(Nfs3Client client, byte[] file)
    {
        GetAttr3Res attributes = client.GetAttr(file); // what a client does at OPEN (close-to-open)
        Assert.Equal(Nfs3Status.Ok, attributes.Status);
        return client.ReadAll(file, (int)attributes.ResOk.ObjAttributes.Size);
    }

    private static List<string> List(Nfs3Client client, byte[] dir)
    {
        var names = new List<string>();
        ulong cookie = 0;
        ulong verifier = 0;
        while (true)
        {
            ReadDir3Res page = client.Call<ReadDir3Args, ReadDir3Res>(Nfs3Procedure.ReadDir,
                new ReadDir3Args { Dir = Nfs3Client.Fh(dir), Cookie = cookie, CookieVerf = verifier, Count = 32 * 1024 });
            Assert.Equal(Nfs3Status.Ok, page.Status);
            for (Entry3? e = page.ResOk.Reply.Entries; e is not null; e = e.Next)
            {
                string name = Encoding.UTF8.GetString(e.Name.Span);
                if (name is not "." and not "..") names.Add(name);
                cookie = e.Cookie;
            }
            if (page.ResOk.Reply.Eof) return names;
            verifier = page.ResOk.CookieVerf;
        }
    }

    [PostgresFact]
    public void CommittedThroughA_ReadsBackThroughB_AndRewrittenThroughB_ReadsBackThroughA()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        using var clientA = new Nfs3Client(a.NfsPort);
        using var clientB = new Nfs3Client(b.NfsPort);
        byte[] root = clientA.Mount();
        Assert.Equal(root, clientB.Mount());

        // 4 whole blocks and a tail (a packed segment), written and COMMITted through A.
        byte[] file = clientA.CreateFile(root, "shared");
        byte[] first = Bytes(4 * 64 * 1024 + 1234, 1);
        WriteCommit(clientA, file, 0, first);
        Assert.Equal(first, ReadWhole(clientB, file)); // B caches every block now

        // Rewritten through A: B serves A's bytes, not its cached copies.
        byte[] second = Bytes(first.Length, 2);
        WriteCommit(clientA, file, 0, second);
        Assert.Equal(second, ReadWhole(clientB, file));

        // Rewritten in part through B (merging with A's bytes), longer: A reads B's file.
        byte[] patch = Bytes(100_000, 3);
        WriteCommit(clientB, file, 200_000, patch);
        byte[] expected = new byte[200_000 + patch.Length];
        second.CopyTo(expected, 0);
        patch.CopyTo(expected, 200_000);
        Assert.Equal(expected, ReadWhole(clientA, file));
        Assert.Equal(expected, ReadWhole(clientB, file));
    }

    [PostgresFact]
    public void ThousandCreatesThroughEachServerAtOnce_GiveTwoThousandDistinctEntries()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        byte[] dir;
        using (var setup = new Nfs3Client(a.NfsPort))
        {
            MkDir3Res made = setup.MkDir(setup.Mount(), "d");
            Assert.Equal(Nfs3Status.Ok, made.Status);
            dir = made.ResOk.Obj.Handle!.Value.Data.ToArray();
        }

        void CreateMany(ServerProcess server, string prefix)
        {
            using var client = new Nfs3Client(server.NfsPort);
            client.Mount();
            for (int i = 0; i < 1000; i++)
            {
                Create3Res r = client.Create(dir, $"{prefix}{i}", CreateMode3.Guarded);
                Assert.True(r.Status == Nfs3Status.Ok, $"{prefix}{i}: {r.Status}");
            }
        }
        Task.WaitAll(Task.Run(() => CreateMany(a, "a")), Task.Run(() => CreateMany(b, "b")));

        foreach (ServerProcess server in new[] { a, b })
        {
            using var client = new Nfs3Client(server.NfsPort);
            client.Mount();
            List<string> names = List(client, dir);
            Assert.Equal(2000, names.Count);
            Assert.Equal(Enumerable.Range(0, 1000).SelectMany(i => new[] { $"a{i}", $"b{i}" }).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        }
    }

    [PostgresFact]
    public void KillOfADuringItsCreates_DoesNotDisturbBsClients()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        byte[] dir;
        using (var setup = new Nfs3Client(b.NfsPort))
        {
            MkDir3Res made = setup.MkDir(setup.Mount(), "d");
            Assert.Equal(Nfs3Status.Ok, made.Status);
            dir = made.ResOk.Obj.Handle!.Value.Data.ToArray();
        }

        var answeredByA = new List<string>();
        using var started = new ManualResetEventSlim();
        Task creatorA = Task.Run(() =>
        {
            try
            {
                using var client = new Nfs3Client(a.NfsPort);
                client.Mount();
                for (int i = 0; ; i++)
                {
                    if (client.Create(dir, $"a{i}", CreateMode3.Guarded).Status == Nfs3Status.Ok) lock (answeredByA) answeredByA.Add($"a{i}");
                    if (i == 50) started.Set();
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or EndOfStreamException)
            {
                // A died under its client.
            }
        });
        var createdByB = new List<string>();
        Task creatorB = Task.Run(() =>
        {
            using var client = new Nfs3Client(b.NfsPort);
            client.Mount();
            for (int i = 0; i < 400; i++)
            {
                Create3Res r = client.Create(dir, $"b{i}", CreateMode3.Guarded);
                Assert.True(r.Status == Nfs3Status.Ok, $"b{i}: {r.Status}");
                createdByB.Add($"b{i}");
                if (i == 100)
                {
                    Assert.True(started.Wait(TimeSpan.FromSeconds(60)), "A never got going");
                    a.Kill();
                }
            }
        });
        Assert.True(Task.WaitAll([creatorA, creatorB], TimeSpan.FromMinutes(5)), "creators did not finish");
        Assert.True(a.HasExited);

        // Through B: every name B created and every create A answered, each once; each resolves to a file.
        using var check = new Nfs3Client(b.NfsPort);
        check.Mount();
        List<string> names = List(check, dir);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Empty(createdByB.Except(names));
        lock (answeredByA) Assert.Empty(answeredByA.Except(names));
        Assert.True(answeredByA.Count >= 50, $"A answered only {answeredByA.Count} creates before the kill");
        foreach (string name in names)
        {
            Lookup3Res found = check.Lookup(dir, name);
            Assert.True(found.Status == Nfs3Status.Ok, $"{name}: {found.Status}");
            Assert.Equal(Nfs3Status.Ok, check.GetAttr(found.ResOk.Object.Data.ToArray()).Status);
        }
    }
}
