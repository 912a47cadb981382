using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// RFC 8881 rules around stateids and the current filehandle: the current stateid (§16.2.3.1.2),
/// FREE_STATEID and TEST_STATEID (§18.38, §18.48), RECLAIM_COMPLETE (§18.51), LOOKUPP of a
/// non-directory (§18.14) and SECINFO_NO_NAME of a root's parent (§18.45).
/// </summary>
public sealed class Nfs4StateidRulesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    /// <summary>The special "current stateid": seqid 1, other all zeros.</summary>
    private static readonly byte[] Current = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private Nfs4TestClient Connect()
    {
        var client = new Nfs4TestClient(Port);
        client.Establish("sid-" + Guid.NewGuid().ToString("N"));
        return client;
    }

    private static void PutFh(XdrWriterBox b, byte[] handle)
    {
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
    }

    private static void Lock(XdrWriterBox b, ulong clientId, byte[] stateid, bool newOwner, ulong offset = 0, ulong length = 10)
    {
        b.UInt32((uint)Nfs4Op.Lock);
        b.UInt32(2); // WRITE_LT
        b.UInt32(0);
        b.UInt64(offset);
        b.UInt64(length);
        b.UInt32(newOwner ? 1u : 0u);
        if (newOwner)
        {
            b.UInt32(0);
            b.Raw(stateid);
            b.UInt32(0);
            b.UInt64(clientId);
            b.Opaque("csid-lock"u8.ToArray());
        }
        else
        {
            b.Raw(stateid);
            b.UInt32(0);
        }
    }

    private static void LockU(XdrWriterBox b, byte[] stateid, ulong offset = 0, ulong length = 10)
    {
        b.UInt32((uint)Nfs4Op.LockU);
        b.UInt32(2);
        b.UInt32(0);
        b.Raw(stateid);
        b.UInt64(offset);
        b.UInt64(length);
    }

    private static void Close(XdrWriterBox b, byte[] stateid)
    {
        b.UInt32((uint)Nfs4Op.Close);
        b.UInt32(0);
        b.Raw(stateid);
    }

    private static void Read(XdrWriterBox b, byte[] stateid)
    {
        b.UInt32((uint)Nfs4Op.Read);
        b.Raw(stateid);
        b.UInt64(0);
        b.UInt32(10);
    }

    /// <summary>The statuses of a reply's results, in order, skipping each result's body where it has one this test reads.</summary>
    private static List<(uint Op, Nfs4Status Status)> Results(CompoundReply reply)
    {
        var results = new List<(uint, Nfs4Status)>();
        for (int i = 0; i < reply.Count; i++)
        {
            (uint op, Nfs4Status status) = reply.Next();
            results.Add((op, status));
            if (status != Nfs4Status.Ok) break;
            switch ((Nfs4Op)op)
            {
                case Nfs4Op.Sequence: reply.Reader.Raw(36); break;
                case Nfs4Op.Open: Nfs4OperationTests.ReadOpenResult(reply); break;
                case Nfs4Op.Lock or Nfs4Op.LockU or Nfs4Op.Close: reply.Reader.Raw(16); break;
                case Nfs4Op.GetFh: reply.Reader.Opaque(); break;
                case Nfs4Op.Read: reply.Reader.Bool(); reply.Reader.Opaque(); break;
            }
        }
        return results;
    }

    [Fact]
    public void LockAndLockUSetTheCurrentStateid()
    {
        using Nfs4TestClient client = Connect();
        string name = Unique("csid-");
        CompoundReply reply = client.Compound(9, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "csid-open", name);
            Lock(b, client.ClientId, Current, newOwner: true);   // current = the open stateid
            LockU(b, Current);                                   // current = the lock stateid
            Lock(b, client.ClientId, Current, newOwner: false);  // current = the lock stateid LOCKU returned
            LockU(b, Current);
            // CLOSE wants an open stateid; the current one is the lock's: BAD_STATEID (not OLD_STATEID).
            Close(b, Current);
        });
        List<(uint Op, Nfs4Status Status)> results = Results(reply);
        Assert.Equal(
            [Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.Ok, Nfs4Status.BadStateId],
            results.Select(r => r.Status));
    }

    [Fact]
    public void ChangingTheFilehandleClearsTheCurrentStateidAndSaveRestoreKeepsIt()
    {
        using Nfs4TestClient client = Connect();
        string name = Unique("csid-");
        string other = Unique("csid-other-");
        var (handle, _) = Nfs4OperationTests.CreateOpen(client, name, owner: "csid-fh");
        Nfs4OperationTests.CreateOpen(client, other, owner: "csid-fh");

        // GETFH leaves the filehandle as it is, and the current stateid with it.
        CompoundReply kept = client.Compound(6, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "csid-1", name, create: false);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
            Read(b, Current);
        });
        Assert.Equal(Nfs4Status.Ok, kept.Status);

        // SAVEFH keeps the stateid with the filehandle; RESTOREFH brings back both (not the later OPEN's stateid).
        CompoundReply closeSaved = client.Compound(10, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "csid-5", name, create: false);
            Nfs4TestClient.Op(b, Nfs4Op.SaveFh);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "csid-6", other, create: false);
            Nfs4TestClient.Op(b, Nfs4Op.RestoreFh);
            Close(b, Current);
        });
        Assert.Equal(Nfs4Status.Ok, closeSaved.Status);

        // PUTFH of the very same file: the stateid does not carry over (§16.2.3.1.2), READ with "current" is BAD_STATEID.
        CompoundReply putfh = client.Compound(6, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "csid-7", name, create: false);
            PutFh(b, handle);
            Read(b, Current);
        });
        Assert.Equal(Nfs4Status.BadStateId, putfh.Status);
        Assert.Equal(((uint)Nfs4Op.Read, Nfs4Status.BadStateId), Results(putfh)[^1]);

        // LOOKUP back to the same file clears it the same way.
        CompoundReply lookup = client.Compound(8, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "csid-8", name, create: false);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4TestClient.Lookup(b, name);
            Read(b, Current);
        });
        Assert.Equal(Nfs4Status.BadStateId, lookup.Status);
        Assert.Equal(((uint)Nfs4Op.Read, Nfs4Status.BadStateId), Results(lookup)[^1]);
    }

    private static CompoundReply FreeStateid(Nfs4TestClient client, byte[] stateid) => client.Compound(2, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.FreeStateId);
        b.Raw(stateid);
    });

    private static Nfs4Status[] TestStateids(Nfs4TestClient client, params byte[][] stateids)
    {
        CompoundReply reply = client.Compound(2, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.TestStateId);
            b.UInt32((uint)stateids.Length);
            foreach (byte[] s in stateids) b.Raw(s);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        int count = (int)reply.Reader.UInt32();
        return [.. Enumerable.Range(0, count).Select(_ => (Nfs4Status)reply.Reader.Int32())];
    }

    [Fact]
    public void FreeStateidRefusesStateidsWithLocksAndFreesTheRest()
    {
        using Nfs4TestClient client = Connect();
        var (handle, open) = Nfs4OperationTests.CreateOpen(client, Unique("free-"), owner: "free-open");
        CompoundReply locked = client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            Lock(b, client.ClientId, open, newOwner: true);
        });
        Assert.Equal(Nfs4Status.Ok, locked.Status);
        Results(locked);
        byte[] lockStateid = [.. locked.Record[^16..]];

        // A lock stateid with a range held, and an open stateid (a share reservation is a lock too): LOCKS_HELD.
        Assert.Equal(Nfs4Status.LocksHeld, FreeStateid(client, lockStateid).Status);
        Assert.Equal(Nfs4Status.LocksHeld, FreeStateid(client, open).Status);

        CompoundReply unlocked = client.Compound(3, b =>
        {
            client.Sequence(b);
            PutFh(b, handle);
            LockU(b, lockStateid);
        });
        Assert.Equal(Nfs4Status.Ok, unlocked.Status);
        byte[] afterUnlock = [.. unlocked.Record[^16..]];
        Assert.Equal(Nfs4Status.Ok, FreeStateid(client, afterUnlock).Status);

        byte[] bogus = (byte[])open.Clone();
        bogus[15] ^= 0x5A;
        // TEST_STATEID answers per stateid: the open lives, the freed lock stateid and a made-up one do not, a special one is bad.
        Assert.Equal(
            [Nfs4Status.Ok, Nfs4Status.BadStateId, Nfs4Status.BadStateId, Nfs4Status.BadStateId],
            TestStateids(client, open, afterUnlock, bogus, new byte[16]));
        Assert.Equal(Nfs4Status.BadStateId, FreeStateid(client, afterUnlock).Status);
    }

    private static Nfs4Status ReclaimComplete(Nfs4TestClient client, bool oneFs, bool withFh) => client.Compound(withFh ? 3 : 2, b =>
    {
        client.Sequence(b);
        if (withFh) Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        b.UInt32((uint)Nfs4Op.ReclaimComplete);
        b.UInt32(oneFs ? 1u : 0u);
    }).Status;

    [Fact]
    public void ReclaimCompleteOnceForTheClientAndOneFsNeedsAFilehandle()
    {
        using Nfs4TestClient client = Connect();
        // rca_one_fs speaks of the current filehandle's file system: none is NOFILEHANDLE.
        Assert.Equal(Nfs4Status.NoFileHandle, ReclaimComplete(client, oneFs: true, withFh: false));
        Assert.Equal(Nfs4Status.Ok, ReclaimComplete(client, oneFs: true, withFh: true));
        // It did not complete the client's reclaims: the global one still works once, then COMPLETE_ALREADY.
        Assert.Equal(Nfs4Status.Ok, ReclaimComplete(client, oneFs: false, withFh: false));
        Assert.Equal(Nfs4Status.CompleteAlready, ReclaimComplete(client, oneFs: false, withFh: false));
        // A reclaim after it (and outside any grace period): NO_GRACE.
        CompoundReply reclaim = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Open);
            b.UInt32(0);
            b.UInt32(1);
            b.UInt32(0);
            b.UInt64(client.ClientId);
            b.Opaque("rc"u8.ToArray());
            b.UInt32(0); // OPEN4_NOCREATE
            b.UInt32(1); // CLAIM_PREVIOUS
            b.UInt32(0);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.NoGrace, reclaim.Status);
    }

    private static Nfs4Status Create(Nfs4TestClient client, string name, bool symlink) => client.Compound(5, b =>
    {
        client.Sequence(b);
        Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        Nfs4TestClient.Lookup(b, "export");
        if (symlink)
        {
            b.UInt32((uint)Nfs4Op.Create);
            b.UInt32(5); // NF4LNK
            b.Opaque("target"u8.ToArray());
            b.Opaque(Encoding.UTF8.GetBytes(name));
            b.UInt32(0); // empty bitmap
            b.UInt32(0); // empty attrlist
        }
        else
        {
            Nfs4OperationTests.Open(b, client.ClientId, "lookupp", name);
        }
        Nfs4TestClient.Op(b, Nfs4Op.GetFh);
    }).Status;

    [Theory]
    [InlineData(true, Nfs4Status.Symlink)]
    [InlineData(false, Nfs4Status.NotDir)]
    public void LookupPOfANonDirectory(bool symlink, Nfs4Status expected)
    {
        using Nfs4TestClient client = Connect();
        string name = Unique("lookupp-");
        Assert.Equal(Nfs4Status.Ok, Create(client, name, symlink));
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4TestClient.Lookup(b, name);
            Nfs4TestClient.Op(b, Nfs4Op.LookupP);
        });
        Assert.Equal(expected, reply.Status);
        Assert.Equal(5, reply.Count);
    }

    private static Nfs4Status SecInfoParent(Nfs4TestClient client, bool export) => client.Compound(export ? 4 : 3, b =>
    {
        client.Sequence(b);
        Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        if (export) Nfs4TestClient.Lookup(b, "export");
        b.UInt32((uint)Nfs4Op.SecInfoNoName);
        b.UInt32(1); // SECINFO_STYLE4_PARENT
    }).Status;

    [Fact]
    public void SecInfoNoNameOfTheRootsParentIsNoEnt()
    {
        using Nfs4TestClient client = Connect();
        Assert.Equal(Nfs4Status.NoEnt, SecInfoParent(client, export: false));
        // An export's root has the pseudo-fs as its parent.
        Assert.Equal(Nfs4Status.Ok, SecInfoParent(client, export: true));
    }
}
