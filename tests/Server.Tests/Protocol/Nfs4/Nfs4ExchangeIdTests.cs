using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// The EXCHANGE_ID case table of RFC 8881 §18.35.5 (case numbers as knfsd's comments use them) for
/// SP4_NONE, with principals as AUTH_SYS uids, and unconfirmed records that live one lease.
/// </summary>
public sealed class Nfs4ExchangeIdTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const uint UpdConfirmed = 0x40000000, ConfirmedR = 0x80000000;

    private int Port => fixture.Server.NfsPort;

    private static string Owner() => "exid-" + Guid.NewGuid().ToString("N");

    private Nfs4TestClient As(uint uid, int? port = null)
    {
        var client = new Nfs4TestClient(port ?? Port);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        return client;
    }

    private static CompoundReply ExchangeId(Nfs4TestClient client, string owner, ulong verifier, bool update = false) => client.Compound(1, b =>
    {
        b.UInt32((uint)Nfs4Op.ExchangeId);
        b.UInt64(verifier);
        b.Opaque(Encoding.UTF8.GetBytes(owner));
        b.UInt32(update ? UpdConfirmed : 0);
        b.UInt32(0); // SP4_NONE
        b.UInt32(0);
    });

    /// <summary>clientid, sequenceid and eir_flags of an EXCHANGE_ID that succeeded.</summary>
    private static (ulong ClientId, uint Sequence, uint Flags) Read(CompoundReply reply)
    {
        Assert.Equal(((uint)Nfs4Op.ExchangeId, Nfs4Status.Ok), reply.Next());
        return (reply.Reader.UInt64(), reply.Reader.UInt32(), reply.Reader.UInt32());
    }

    private static Nfs4Status SequenceStatus(Nfs4TestClient client) => client.Compound(1, b => client.Sequence(b)).Status;

    [Fact]
    public void NewOwnerIsUnconfirmedThenTheSameCallFindsTheConfirmedRecord()
    {
        using Nfs4TestClient client = As(1000);
        string owner = Owner();
        // Case 1: a new owner, an unconfirmed record.
        var (first, _, flags) = Read(ExchangeId(client, owner, 7));
        Assert.Equal(0u, flags & ConfirmedR);
        // Again before CREATE_SESSION: the unconfirmed record is replaced.
        var (second, seq, _) = Read(ExchangeId(client, owner, 7));
        Assert.NotEqual(first, second);
        Assert.Equal(Nfs4Status.StaleClientId, client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, first, 1)).Status);
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, second, seq)).Status);

        // Case 2: same verifier, same principal, no update flag: the confirmed record, flagged so.
        var (again, _, confirmedFlags) = Read(ExchangeId(client, owner, 7));
        Assert.Equal(second, again);
        Assert.Equal(ConfirmedR, confirmedFlags & ConfirmedR);
        Assert.Equal(0u, confirmedFlags & UpdConfirmed);
    }

    [Fact]
    public void UpdatesNeedAConfirmedRecordItsPrincipalAndItsVerifier()
    {
        string owner = Owner();
        using Nfs4TestClient client = As(1000);
        // Case 7: nothing confirmed to update.
        Assert.Equal(Nfs4Status.NoEnt, ExchangeId(client, owner, 7, update: true).Status);
        client.Establish(owner, verifier: 7);

        // Case 9: another principal. Case 8: another verifier. Case 6: the confirmed record.
        using Nfs4TestClient stranger = As(2000);
        Assert.Equal(Nfs4Status.Perm, ExchangeId(stranger, owner, 7, update: true).Status);
        Assert.Equal(Nfs4Status.NotSame, ExchangeId(client, owner, 8, update: true).Status);
        var (id, _, flags) = Read(ExchangeId(client, owner, 7, update: true));
        Assert.Equal(client.ClientId, id);
        Assert.Equal(ConfirmedR, flags & ConfirmedR);
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(client));
    }

    [Fact]
    public void AnotherPrincipalIsClidInUseWhileTheClientHasSessions()
    {
        string owner = Owner();
        using Nfs4TestClient client = As(1000);
        client.Establish(owner, verifier: 7);
        // Case 3 with state: the owner is taken.
        using Nfs4TestClient stranger = As(2000);
        Assert.Equal(Nfs4Status.ClidInUse, ExchangeId(stranger, owner, 7).Status);
        Assert.Equal(Nfs4Status.ClidInUse, ExchangeId(stranger, owner, 9).Status);
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(client));

        // Without sessions or state the record may be replaced: unconfirmed until the newcomer's CREATE_SESSION.
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b =>
        {
            b.UInt32((uint)Nfs4Op.DestroySession);
            b.Raw(client.SessionId);
        }).Status);
        var (newId, seq, flags) = Read(ExchangeId(stranger, owner, 9));
        Assert.NotEqual(client.ClientId, newId);
        Assert.Equal(0u, flags & ConfirmedR);
        Assert.Equal(Nfs4Status.Ok, stranger.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, newId, seq)).Status);
        // The old record went with the confirmation.
        Assert.Equal(Nfs4Status.StaleClientId, client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, client.ClientId, client.CreateSessionSeq + 1)).Status);
    }

    [Fact]
    public void ANewVerifierMakesANewRecordThatReplacesTheOldOnConfirmation()
    {
        string owner = Owner();
        using Nfs4TestClient client = As(1000);
        client.Establish(owner, verifier: 7);
        ulong oldId = client.ClientId;
        byte[] oldSession = client.SessionId;

        // Case 5: the client rebooted. The old record stands until the new one is confirmed.
        var (newId, seq, flags) = Read(ExchangeId(client, owner, 8));
        Assert.NotEqual(oldId, newId);
        Assert.Equal(0u, flags & ConfirmedR);
        Assert.Equal(Nfs4Status.Ok, SequenceStatus(client));
        CompoundReply created = client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, newId, seq));
        Assert.Equal(Nfs4Status.Ok, created.Status);
        // Confirming it dropped the old record with its sessions.
        Assert.Equal(oldSession, client.SessionId);
        Assert.Equal(Nfs4Status.BadSession, client.Compound(1, b => client.Sequence(b, seqid: 99)).Status);
    }

    [Fact]
    public void AnUnconfirmedRecordLivesOneLease()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "5" });
        server.Start();
        using Nfs4TestClient client = As(1000, server.NfsPort);
        var (id, seq, _) = Read(ExchangeId(client, Owner(), 7));
        // A lease and a bit, but less than the lease and a half after which a confirmed client expires.
        Thread.Sleep(6000);
        Assert.Equal(Nfs4Status.StaleClientId, client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, id, seq)).Status);

        // Confirmed in time, it is fine.
        var (fresh, freshSeq, _) = Read(ExchangeId(client, Owner(), 7));
        Thread.Sleep(1000);
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b => Nfs4TestClient.CreateSessionArgs(b, fresh, freshSeq)).Status);
    }
}
