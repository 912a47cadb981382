using System.Diagnostics;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.1 state is bounded and cheap to drop, each on its own server: sessions per client,
/// slots and reply cache bytes (RFC 8881 §2.10.6.4, §18.36), and a mass lease expiry that
/// does not stall other clients (no file I/O under the state lock).
/// </summary>
public sealed class Nfs4StateBoundsTests(ITestOutputHelper output)
{
    private static string Owner() => "bounds-" + Guid.NewGuid().ToString("N");

    private static CompoundReply CreateSession(Nfs4TestClient client, uint seq, uint slots = 4, uint cached = 8192) =>
        client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, client.ClientId, seq, slots: slots, cached: cached));

    /// <summary>Reads CREATE_SESSION4resok up to the fore channel's attributes: (sessionid, ca_maxresponsesize_cached, ca_maxrequests).</summary>
    private static (byte[] Session, uint Cached, uint Slots) ReadCreateSession(CompoundReply reply)
    {
        Assert.Equal(((uint)Nfs4Op.CreateSession, Nfs4Status.Ok), reply.Next());
        byte[] session = reply.Reader.Raw(16);
        reply.Reader.Raw(8 + 12); // sequence, flags, headerpad, maxrequest, maxresponse
        uint cached = reply.Reader.UInt32();
        _ = reply.Reader.UInt32();
        return (session, cached, reply.Reader.UInt32());
    }

    private static Nfs4Status DestroySession(Nfs4TestClient client, byte[] session) => client.Compound(1, b =>
    {
        b.UInt32((uint)Nfs4Op.DestroySession);
        b.Raw(session);
    }).Status;

    [Fact]
    public void SessionsPerClientAreCapped()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:MaxSessionsPerClient"] = "3" });
        server.Start();
        using var client = new Nfs4TestClient(server.NfsPort);
        client.Establish(Owner());
        uint seq = client.CreateSessionSeq;
        byte[] second = ReadCreateSession(CreateSession(client, ++seq)).Session;
        Assert.Equal(Nfs4Status.Ok, CreateSession(client, ++seq).Status);
        // A fourth: NOSPC, and the sequenceid is used (a retry gets the same answer, the next one goes on).
        Assert.Equal(Nfs4Status.NoSpc, CreateSession(client, ++seq).Status);
        Assert.Equal(Nfs4Status.NoSpc, CreateSession(client, seq).Status);
        Assert.Equal(Nfs4Status.NoSpc, CreateSession(client, ++seq).Status);
        Assert.Equal(Nfs4Status.Ok, DestroySession(client, second));
        Assert.Equal(Nfs4Status.Ok, CreateSession(client, ++seq).Status);
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b => client.Sequence(b)).Status);
    }

    [Fact]
    public void SlotsAndCachedReplyBytesAreNegotiatedDownToTheServerWideBudget()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:Nfs4:MaxCachedReplyBytes"] = "65536",
            ["DittoFs:Nfs4:MaxCachedReplySize"] = "4096",
            ["DittoFs:Nfs4:MaxSlotsPerSession"] = "32",
        });
        server.Start();
        using var a = new Nfs4TestClient(server.NfsPort);
        CompoundReply ex = a.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, Owner()));
        ex.Next();
        ulong clientA = ex.Reader.UInt64();
        CompoundReply created = a.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, clientA, 1, slots: 64, cached: 8192));
        Assert.Equal(Nfs4Status.Ok, created.Status);
        var (sessionA, cached, slots) = ReadCreateSession(created);
        Assert.Equal(4096u, cached);  // MaxCachedReplySize
        Assert.Equal(2u, slots);      // an eighth of 65536 is 8192: two slots of 4096

        // Each next session gets an eighth of what is left (one slot while one fits), until the budget or the per-client cap ends it.
        var sessions = new List<byte[]> { sessionA };
        var granted = new List<uint> { slots };
        uint seq = 1;
        Nfs4Status last;
        while (true)
        {
            CompoundReply next = a.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, clientA, seq + 1, slots: 64, cached: 4096));
            last = next.Status;
            if (last != Nfs4Status.Ok) break;
            seq++;
            var (s, _, n) = ReadCreateSession(next);
            Assert.InRange(n, 1u, 2u);
            sessions.Add(s);
            granted.Add(n);
        }
        output.WriteLine($"slots granted: {string.Join(", ", granted)}, then {last}");
        Assert.True(last is Nfs4Status.Delay or Nfs4Status.NoSpc, last.ToString());
        Assert.True(granted.Sum(n => (long)n) * 4096 <= 65536, "the budget holds");

        // Another client takes what is left, then must wait (DELAY, its sequenceid not used).
        using var b2 = new Nfs4TestClient(server.NfsPort);
        CompoundReply exB = b2.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, Owner()));
        exB.Next();
        ulong clientB = exB.Reader.UInt64();
        uint seqB = 0;
        while (true)
        {
            CompoundReply next = b2.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, clientB, seqB + 1, slots: 4, cached: 4096));
            if (next.Status == Nfs4Status.Delay) break;
            Assert.Equal(Nfs4Status.Ok, next.Status);
            seqB++;
            Assert.True(seqB < 16, "the budget must run out first");
        }
        foreach (byte[] s in sessions) Assert.Equal(Nfs4Status.Ok, DestroySession(a, s));
        CompoundReply createdB = b2.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, clientB, seqB + 1, slots: 4, cached: 1024));
        Assert.Equal(Nfs4Status.Ok, createdB.Status);
        var (_, cachedB, slotsB) = ReadCreateSession(createdB);
        Assert.Equal((1024u, 4u), (cachedB, slotsB));
    }

    [Fact]
    public void AReplyTooBigForTheSlotCacheIsRepTooBigToCacheWhenCachingWasAsked()
    {
        using var server = new ServerProcess();
        server.Start();
        using var client = new Nfs4TestClient(server.NfsPort);
        CompoundReply ex = client.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, Owner()));
        ex.Next();
        ulong clientId = ex.Reader.UInt64();
        CompoundReply created = client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, clientId, 1, maxOps: 64, cached: 600));
        Assert.Equal(Nfs4Status.Ok, created.Status);
        var (session, cached, _) = ReadCreateSession(created);
        Assert.Equal(600u, cached);
        client.UseSession(session);

        // SEQUENCE and 20 × (PUTROOTFH, GETFH): well over 600 bytes of reply.
        void Ops(XdrWriterBox b)
        {
            for (int i = 0; i < 20; i++)
            {
                Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
                Nfs4TestClient.Op(b, Nfs4Op.GetFh);
            }
        }
        CompoundReply big = client.Compound(41, b =>
        {
            client.Sequence(b, cacheThis: true);
            Ops(b);
        });
        Assert.Equal(Nfs4Status.RepTooBigToCache, big.Status);
        Assert.InRange(big.Count, 2, 40);
        Assert.True(big.Record.Length < 600 + 64, $"{big.Record.Length} bytes: the reply stops where the cache limit was crossed");

        // Without cachethis it runs, is not cached, and its retry says so.
        uint seqid = client.SlotSeq[0] + 1;
        CompoundReply uncached = client.Compound(41, b =>
        {
            client.Sequence(b, seqid: seqid, cacheThis: false);
            Ops(b);
        });
        Assert.Equal(Nfs4Status.Ok, uncached.Status);
        Assert.Equal(41, uncached.Count);
        CompoundReply retry = client.Compound(41, b =>
        {
            client.Sequence(b, seqid: seqid, cacheThis: false);
            Ops(b);
        });
        Assert.Equal(Nfs4Status.RetryUncachedRep, retry.Status);
    }

    private const int StallBoundMs = 2000;

    /// <summary>
    /// 1,000 clients whose leases run out together are dropped in one pass; the owners file is
    /// rewritten later by its writer, not once per client under the state lock. Meanwhile a
    /// bystander's SEQUENCE is never held for the length of that work: the old code rewrote and
    /// fsynced the file 1,000 times under the lock (546 ms on an idle machine, seconds on a busy
    /// disk). The bound is 2 s, not 200 ms: on 2 cores shared with several builds a single
    /// SEQUENCE was seen to wait 200+ ms for a CPU with nothing wrong in the server.
    /// </summary>
    [Fact]
    public void AThousandClientsExpiringAtOnceDoNotStallABystander()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "10" });
        server.Start();
        const int Clients = 1000;
        const int Connections = 8;
        var sample = new (byte[] Session, ulong ClientId)[Connections];
        var setup = Stopwatch.StartNew();
        Parallel.For(0, Connections, new ParallelOptions { MaxDegreeOfParallelism = Connections }, i =>
        {
            using var client = new Nfs4TestClient(server.NfsPort);
            for (int n = 0; n < Clients / Connections; n++)
            {
                client.Establish(Owner());
                sample[i] = (client.SessionId, client.ClientId);
            }
        });
        output.WriteLine($"{Clients} clients in {setup.ElapsedMilliseconds} ms");
        string ownersFile = Path.Combine(server.DataDirectory, "data", "nfs4", "clients");
        Assert.True(File.ReadAllLines(ownersFile).Length >= Clients, "every confirmed owner is on disk before its CREATE_SESSION reply");

        using var bystander = new Nfs4TestClient(server.NfsPort);
        bystander.Establish(Owner());
        // Each rewrite of the owners file ends in a rename onto it: count them (inotify) while the leases run out.
        int rewrites = 0;
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(ownersFile)!, "clients") { NotifyFilter = NotifyFilters.FileName };
        watcher.Renamed += (_, _) => Interlocked.Increment(ref rewrites);
        watcher.EnableRaisingEvents = true;
        // They all expire 15 s (1.5 leases) after their last renewal, within a reaper second after.
        var window = Stopwatch.StartNew();
        long worst = 0;
        int calls = 0;
        while (window.Elapsed < TimeSpan.FromSeconds(20))
        {
            long before = Stopwatch.GetTimestamp();
            Assert.Equal(Nfs4Status.Ok, bystander.Compound(1, b => bystander.Sequence(b)).Status);
            worst = Math.Max(worst, (long)Stopwatch.GetElapsedTime(before).TotalMilliseconds);
            calls++;
            Thread.Sleep(10);
        }
        output.WriteLine($"bystander: {calls} SEQUENCEs, worst {worst} ms");

        // They did expire in that window.
        using var probe = new Nfs4TestClient(server.NfsPort);
        foreach (var (session, _) in sample)
        {
            Assert.Equal(Nfs4Status.BadSession, probe.Compound(1, b =>
            {
                b.UInt32((uint)Nfs4Op.Sequence);
                b.Raw(session);
                b.UInt32(2);
                b.UInt32(0);
                b.UInt32(0);
                b.UInt32(0);
            }).Status);
        }
        Assert.True(worst < StallBoundMs, $"a bystander's SEQUENCE took {worst} ms while 1,000 leases expired");
        // And the owners file followed: only the bystander is left.
        var wait = Stopwatch.StartNew();
        while (File.ReadAllLines(ownersFile).Length != 1 && wait.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(100);
        Assert.Single(File.ReadAllLines(ownersFile));
        // The structural half, which no load can flake: 1,000 expiries cost coalesced rewrites (about one
        // per reaper pass while the set-up's renewals run out), not one each.
        output.WriteLine($"owners file rewritten {Volatile.Read(ref rewrites)} times");
        Assert.InRange(Volatile.Read(ref rewrites), 1, 100);
    }
}
