using System.Buffers.Binary;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.1 state bound to its owner (RFC 8881 §2.4, §2.10.8.3, §18.35.5, §18.36, §18.37, §18.50):
/// another principal cannot confirm, destroy or take over a client; stateids only work
/// through a session of their client; ids cannot be guessed; and share denials stop the
/// special stateids (§9.1.3, §9.7).
/// </summary>
public sealed class Nfs4StateOwnershipTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    private static string Owner() => "own-" + Guid.NewGuid().ToString("N");

    /// <summary>A client whose calls carry AUTH_SYS with this uid and gid.</summary>
    private Nfs4TestClient As(uint uid, uint gid = 100)
    {
        var client = new Nfs4TestClient(Port);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = gid;
        return client;
    }

    private static Nfs4Status SequenceStatus(Nfs4TestClient client) => client.Compound(1, b => client.Sequence(b)).Status;

    private static byte[] ReadSessionId(CompoundReply reply)
    {
        Assert.Equal(((uint)Nfs4Op.CreateSession, Nfs4Status.Ok), reply.Next());
        return reply.Reader.Raw(16);
    }

    private static CompoundReply Single(Nfs4TestClient client, Action<XdrWriterBox> op) => client.Compound(1, op);

    private static CompoundReply LockU(Nfs4TestClient client, byte[] handle, byte[] lockStateid) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.LockU);
        b.UInt32(2);
        b.UInt32(0);
        b.Raw(lockStateid);
        b.UInt64(0);
        b.UInt64(ulong.MaxValue);
    });

    private static byte[] LockWhole(Nfs4TestClient client, byte[] handle, byte[] openStateid)
    {
        CompoundReply reply = client.LockNewOwner(handle, openStateid, "victim-lock");
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        Assert.Equal(((uint)Nfs4Op.Lock, Nfs4Status.Ok), reply.Next());
        return reply.Reader.Raw(16);
    }

    /// <summary>LOCKT for the whole file by another owner: DENIED while the victim's lock stands.</summary>
    private static Nfs4Status LockTest(Nfs4TestClient client, byte[] handle) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.LockT);
        b.UInt32(2);
        b.UInt64(0);
        b.UInt64(ulong.MaxValue);
        b.UInt64(client.ClientId);
        b.Opaque("prober"u8.ToArray());
    }).Status;

    [Fact]
    public void AnotherPrincipalCannotCreateASessionOnSomeoneElsesClientId()
    {
        using Nfs4TestClient victim = As(1000);
        victim.Establish(Owner());
        using Nfs4TestClient attacker = As(2000);
        CompoundReply reply = Single(attacker, b => Nfs4TestClient.CreateSessionArgs(b, victim.ClientId, victim.CreateSessionSeq + 1));
        Assert.Equal(Nfs4Status.ClidInUse, reply.Status);
        // The same uid with another gid is another principal too (as knfsd's same_creds).
        using Nfs4TestClient sameUid = As(1000, gid: 999);
        Assert.Equal(Nfs4Status.ClidInUse, Single(sameUid, b => Nfs4TestClient.CreateSessionArgs(b, victim.ClientId, victim.CreateSessionSeq + 1)).Status);
        // The owner itself still can: its sequenceid was not consumed by the refused attempts.
        CompoundReply own = Single(victim, b => Nfs4TestClient.CreateSessionArgs(b, victim.ClientId, victim.CreateSessionSeq + 1));
        Assert.Equal(Nfs4Status.Ok, own.Status);
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(victim));
    }

    [Fact]
    public void AnotherPrincipalCannotDestroySomeoneElsesSession()
    {
        using Nfs4TestClient victim = As(1000);
        victim.Establish(Owner());
        using Nfs4TestClient attacker = As(2000);
        CompoundReply reply = Single(attacker, b =>
        {
            b.UInt32((uint)Nfs4Op.DestroySession);
            b.Raw(victim.SessionId);
        });
        Assert.Equal(Nfs4Status.WrongCred, reply.Status);
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(victim));
        // Its own principal may.
        Assert.Equal(Nfs4Status.Ok, Single(victim, b =>
        {
            b.UInt32((uint)Nfs4Op.DestroySession);
            b.Raw(victim.SessionId);
        }).Status);
        Assert.Equal(Nfs4Status.BadSession, SequenceStatus(victim));
    }

    [Fact]
    public void AnotherPrincipalCannotDestroySomeoneElsesClientId()
    {
        using Nfs4TestClient victim = As(1000);
        victim.Establish(Owner());
        Assert.Equal(Nfs4Status.Ok, Single(victim, b =>
        {
            b.UInt32((uint)Nfs4Op.DestroySession);
            b.Raw(victim.SessionId);
        }).Status);

        using Nfs4TestClient attacker = As(2000);
        Assert.Equal(Nfs4Status.WrongCred, Single(attacker, b =>
        {
            b.UInt32((uint)Nfs4Op.DestroyClientId);
            b.UInt64(victim.ClientId);
        }).Status);
        // The client id is intact: its owner makes a new session on it.
        CompoundReply again = Single(victim, b => Nfs4TestClient.CreateSessionArgs(b, victim.ClientId, victim.CreateSessionSeq + 1));
        Assert.Equal(Nfs4Status.Ok, again.Status);
    }

    [Fact]
    public void AnotherPrincipalCannotUnlockSomeoneElsesLock()
    {
        using Nfs4TestClient victim = As(0, 0);
        victim.Establish(Owner());
        var (handle, open) = Nfs4OperationTests.CreateOpen(victim, "own-lock-" + Guid.NewGuid().ToString("N")[..8]);
        byte[] lockStateid = LockWhole(victim, handle, open);

        // Through a session on the victim's client id: refused at CREATE_SESSION.
        using Nfs4TestClient attacker = As(2000);
        Assert.Equal(Nfs4Status.ClidInUse, Single(attacker, b => Nfs4TestClient.CreateSessionArgs(b, victim.ClientId, victim.CreateSessionSeq + 1)).Status);
        // Through its own session: the stateid is not its client's.
        attacker.Establish(Owner());
        CompoundReply unlock = LockU(attacker, handle, lockStateid);
        Assert.Equal(Nfs4Status.BadStateId, unlock.Status);
        // Also with seqid 0 ("the current seqid, whatever it is").
        byte[] anySeq = (byte[])lockStateid.Clone();
        anySeq.AsSpan(0, 4).Clear();
        Assert.Equal(Nfs4Status.BadStateId, LockU(attacker, handle, anySeq).Status);
        // The lock stands.
        Assert.Equal(Nfs4Status.Denied, LockTest(attacker, handle));
    }

    [Fact]
    public void ExchangeIdWithAnotherClientsOwnerFromAnotherPrincipalIsClidInUse()
    {
        string owner = Owner();
        using Nfs4TestClient victim = As(0, 0);
        victim.Establish(owner);
        var (handle, open) = Nfs4OperationTests.CreateOpen(victim, "own-takeover-" + Guid.NewGuid().ToString("N")[..8]);

        using Nfs4TestClient attacker = As(2000);
        CompoundReply reply = Single(attacker, b => Nfs4TestClient.ExchangeIdArgs(b, owner, verifier: 0xBAD));
        Assert.Equal(Nfs4Status.ClidInUse, reply.Status);
        // The victim's session and open are intact.
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(victim));
        Assert.Equal(Nfs4Status.Ok, Close(victim, handle, open));

        // The same principal with a new verifier (a client reboot) is still allowed (§18.35.5 case 5).
        using Nfs4TestClient rebooted = As(0, 0);
        Assert.Equal(Nfs4Status.Ok, Single(rebooted, b => Nfs4TestClient.ExchangeIdArgs(b, owner, verifier: 2)).Status);
    }

    [Fact]
    public void ClientSessionAndStateIdsAreNotSequential()
    {
        var clientIds = new List<ulong>();
        var sessionIds = new List<byte[]>();
        var stateOthers = new List<ulong>();
        for (int i = 0; i < 4; i++)
        {
            using Nfs4TestClient client = As(0, 0);
            client.Establish(Owner());
            clientIds.Add(client.ClientId);
            sessionIds.Add(client.SessionId);
            var (_, open) = Nfs4OperationTests.CreateOpen(client, "own-ids-" + Guid.NewGuid().ToString("N")[..8]);
            stateOthers.Add(BinaryPrimitives.ReadUInt64BigEndian(open.AsSpan(8)));
        }
        // Random 64-bit ids are this close (2^32) with a chance of 2^-31 per pair; counters always are.
        static void Spread(List<ulong> ids, string what)
        {
            for (int i = 0; i < ids.Count; i++)
            {
                for (int j = i + 1; j < ids.Count; j++)
                {
                    ulong d = ids[i] > ids[j] ? ids[i] - ids[j] : ids[j] - ids[i];
                    Assert.True(d > 1UL << 32, $"{what} {ids[i]:x16} and {ids[j]:x16} are {d} apart");
                }
            }
        }
        Spread(clientIds, "client ids");
        Spread(stateOthers, "stateid ids");
        Spread(sessionIds.Select(s => BinaryPrimitives.ReadUInt64BigEndian(s)).ToList(), "session ids (first half)");
        Spread(sessionIds.Select(s => BinaryPrimitives.ReadUInt64BigEndian(s.AsSpan(8))).ToList(), "session ids (second half)");
        // A session id does not carry its client id.
        for (int i = 0; i < 4; i++)
        {
            Assert.NotEqual(clientIds[i], BinaryPrimitives.ReadUInt64BigEndian(sessionIds[i]));
        }
    }

    /// <summary>WRITE (or READ) with a special stateid on a file: the op's status.</summary>
    private static Nfs4Status SpecialIo(Nfs4TestClient client, byte[] handle, byte fill, bool write)
    {
        byte[] stateid = new byte[16];
        stateid.AsSpan().Fill(fill);
        return client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            if (write)
            {
                b.UInt32((uint)Nfs4Op.Write);
                b.Raw(stateid);
                b.UInt64(0);
                b.UInt32(2); // FILE_SYNC4
                b.Opaque("intruder"u8.ToArray());
            }
            else
            {
                b.UInt32((uint)Nfs4Op.Read);
                b.Raw(stateid);
                b.UInt64(0);
                b.UInt32(100);
            }
        }).Status;
    }

    private static Nfs4Status AnonymousTruncate(Nfs4TestClient client, byte[] handle) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.SetAttr);
        b.Raw(new byte[16]);
        Nfs4OperationTests.Bitmap(b, 4); // size
        b.UInt32(8);
        b.UInt64(0);
    }).Status;

    private static (byte[] Handle, byte[] Stateid) OpenDenying(Nfs4TestClient client, string name, uint access, uint deny)
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, "denier", name, access: access, deny: deny);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        reply.Next();
        byte[] stateid = Nfs4OperationTests.ReadOpenResult(reply);
        reply.Next();
        return (reply.Reader.Opaque(), stateid);
    }

    private static Nfs4Status Close(Nfs4TestClient client, byte[] handle, byte[] stateid) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.Close);
        b.UInt32(0);
        b.Raw(stateid);
    }).Status;

    [Fact]
    public void SpecialStateidsDoNotBypassShareDenials()
    {
        using Nfs4TestClient holder = As(0, 0);
        holder.Establish(Owner());
        using Nfs4TestClient other = As(0, 0);
        other.Establish(Owner());

        // OPEN4_SHARE_ACCESS_BOTH with OPEN4_SHARE_DENY_WRITE.
        var (file, open) = OpenDenying(holder, "own-denyw-" + Guid.NewGuid().ToString("N")[..8], access: 3, deny: 2);
        Assert.Equal(Nfs4Status.Locked, SpecialIo(other, file, 0x00, write: true));
        Assert.Equal(Nfs4Status.Locked, SpecialIo(other, file, 0xFF, write: true));
        Assert.Equal(Nfs4Status.Locked, AnonymousTruncate(other, file));
        Assert.Equal(Nfs4Status.Ok, SpecialIo(other, file, 0x00, write: false));
        Assert.Equal(Nfs4Status.Ok, Close(holder, file, open));
        Assert.Equal(Nfs4Status.Ok, SpecialIo(other, file, 0x00, write: true));
        Assert.Equal(Nfs4Status.Ok, AnonymousTruncate(other, file));

        // OPEN4_SHARE_DENY_READ: an anonymous READ is LOCKED, the READ bypass stateid passes (as knfsd).
        var (file2, open2) = OpenDenying(holder, "own-denyr-" + Guid.NewGuid().ToString("N")[..8], access: 3, deny: 1);
        Assert.Equal(Nfs4Status.Locked, SpecialIo(other, file2, 0x00, write: false));
        Assert.Equal(Nfs4Status.Ok, SpecialIo(other, file2, 0xFF, write: false));
        Assert.Equal(Nfs4Status.Ok, SpecialIo(other, file2, 0x00, write: true));
        Assert.Equal(Nfs4Status.Ok, Close(holder, file2, open2));
        Assert.Equal(Nfs4Status.Ok, SpecialIo(other, file2, 0x00, write: false));
    }
}
