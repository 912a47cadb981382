using System.Net;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.Callbacks;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.0 delegations over the callback path of SETCLIENTID (RFC 7530 §10.2, §16.33, §17): a CB_NULL probe of the
/// client's address after its confirm, a read delegation on the OPEN of a confirmed owner, CB_RECALL with the
/// callback_ident when another client wants to write (DELAY until DELEGRETURN), CB_PATH_DOWN from RENEW when the
/// recall finds nobody; an address that is not the client's own host is never called.
/// </summary>
public sealed class Nfs4V40DelegationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const uint Write = DelegationHolder40.Write;

    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => DelegationHolder40.Unique(prefix);

    private static DelegatedOpen40 Open(Nfs4TestClient client, string owner, string name, uint access) =>
        DelegationHolder40.Open(client, owner, name, access);

    /// <summary>CB_COMPOUND4args up to the CB_RECALL's stateid: minorversion 0, the callback_ident, one op.</summary>
    private static void AssertRecallArgs(ReceivedCallback recall, uint ident, byte[] delegationStateid)
    {
        _ = recall.Args.Opaque();                                // tag
        Assert.Equal(0u, recall.Args.UInt32());                  // minorversion
        Assert.Equal(ident, recall.Args.UInt32());               // callback_ident
        Assert.Equal(1u, recall.Args.UInt32());
        Assert.Equal(4u, recall.Args.UInt32());                  // CB_RECALL
        Assert.Equal(delegationStateid, recall.Args.Raw(16));
    }

    [Fact]
    public void AConflictingOpenRecallsTheDelegationAtTheCallbackAddressAndWaitsForDelegReturn()
    {
        using var holder = DelegationHolder40.Delegated(Port);
        DelegatedOpen40 delegated = holder.Delegation;

        // Another client opens for writing: DELAY, and CB_RECALL (minorversion 0, the SETCLIENTID's callback_ident) reaches the holder.
        using Nfs4TestClient writer = DelegationHolder40.Other(Port);
        string writerOwner = Unique("oo-");
        Assert.Equal(Nfs4Status.Delay, Open(writer, writerOwner, holder.Name, Write).Status);
        ReceivedCallback recall = holder.Listener.Next();
        Assert.Equal((DelegationHolder40.CallbackProgram, 1u, 1u, 1u), (recall.Program, recall.Version, recall.Procedure, recall.Flavor)); // AUTH_SYS
        AssertRecallArgs(recall, DelegationHolder40.Ident, delegated.DelegationStateid);
        Assert.False(recall.Args.Bool());                        // truncate
        Assert.Equal(delegated.Handle, recall.Args.Opaque());

        Assert.Equal(Nfs4Status.Delay, Open(writer, writerOwner, holder.Name, Write).Status);
        Assert.Equal(Nfs4Status.Ok, holder.ReturnDelegation());
        Assert.Equal(Nfs4Status.Ok, Open(writer, writerOwner, holder.Name, Write).Status);
        Assert.Equal(Nfs4Status.Ok, holder.Renew());
        // Returned: a second DELEGRETURN of it names nothing.
        Assert.Equal(Nfs4Status.BadStateId, holder.ReturnDelegation());
    }

    [Fact]
    public void ARemoveByAnotherClientRecallsTheDelegationFirst()
    {
        using var holder = DelegationHolder40.Delegated(Port);
        using Nfs4TestClient other = DelegationHolder40.Other(Port);
        CompoundReply Remove() => other.Compound40(3, b =>
        {
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Remove);
            b.Opaque(System.Text.Encoding.UTF8.GetBytes(holder.Name));
        });
        Assert.Equal(Nfs4Status.Delay, Remove().Status);
        Assert.Equal(1u, holder.Listener.Next().Procedure);      // CB_RECALL
        Assert.Equal(Nfs4Status.Ok, holder.ReturnDelegation());
        Assert.Equal(Nfs4Status.Ok, Remove().Status);
    }

    [Fact]
    public void DelegPurgeIsNotSupported()
    {
        // RFC 7530 §16.5: DELEGPURGE purges delegations awaiting CLAIM_DELEGATE_PREV, which this server does not offer.
        using Nfs4TestClient client = DelegationHolder40.Other(Port);
        Assert.Equal(Nfs4Status.NotSupp, client.Compound40(1, b =>
        {
            b.UInt32((uint)Nfs4Op.DelegPurge);
            b.UInt64(client.ClientId);
        }).Status);
    }

    [Fact]
    public void ARecallNobodyAnswersMakesRenewSayCallbackPathDown()
    {
        using var holder = DelegationHolder40.Delegated(Port, answerCompounds: false);
        Assert.Equal(Nfs4Status.Ok, holder.Renew());

        using Nfs4TestClient writer = DelegationHolder40.Other(Port);
        Assert.Equal(Nfs4Status.Delay, Open(writer, Unique("oo-"), holder.Name, Write).Status);
        Assert.Equal(1u, holder.Listener.Next().Procedure);      // the CB_RECALL, never answered
        Nfs4Status renew = Nfs4Status.Ok;
        for (int i = 0; i < 100 && renew == Nfs4Status.Ok; i++)
        {
            Thread.Sleep(50);
            renew = holder.Renew();
        }
        Assert.Equal(Nfs4Status.CbPathDown, renew);
        // The path is down: the next OPEN gets no delegation; once the client returns the one it holds, RENEW is OK again.
        Assert.Equal(0u, holder.OpenAgain().DelegationType);
        Assert.Equal(Nfs4Status.Ok, holder.ReturnDelegation());
        Assert.Equal(Nfs4Status.Ok, holder.Renew());
    }

    [Fact]
    public void ADelegationNotReturnedWithinALeaseIsRevokedWhileRenewKeepsTheRestOfTheClientsState()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "5" });
        server.Start();
        using var holder = DelegationHolder40.Delegated(server.NfsPort, answerCompounds: false);

        using Nfs4TestClient writer = DelegationHolder40.Other(server.NfsPort);
        string writerOwner = Unique("oo-");
        Assert.Equal(Nfs4Status.Delay, Open(writer, writerOwner, holder.Name, Write).Status);
        // The holder renews (CB_PATH_DOWN, its lease renewed all the same) but never returns the delegation.
        Nfs4Status status = Nfs4Status.Delay;
        DateTime until = DateTime.UtcNow.AddSeconds(30);
        while (status == Nfs4Status.Delay && DateTime.UtcNow < until)
        {
            Thread.Sleep(500);
            Assert.Contains(holder.Renew(), new[] { Nfs4Status.Ok, Nfs4Status.CbPathDown });
            status = Open(writer, writerOwner, holder.Name, Write).Status;
        }
        Assert.Equal(Nfs4Status.Ok, status);
        // Revoked: gone (4.0 has no FREE_STATEID); the holder's open is alive and RENEW has nothing to warn of.
        Assert.Equal(Nfs4Status.BadStateId, holder.ReturnDelegation());
        Assert.Equal(Nfs4Status.Ok, holder.Renew());
        DelegatedOpen40 delegated = holder.Delegation;
        Assert.Equal(Nfs4Status.Ok, holder.Client.OnOpen40(Nfs4Op.Close, delegated.Handle, delegated.Stateid, holder.Client.NextSeqid(holder.Owner)).Status);
    }

    [Fact]
    public void ARecallThatFoundThePathDownIsSentAgainToANewCallbackAddress()
    {
        using var holder = DelegationHolder40.Delegated(Port, answerCompounds: false);
        using Nfs4TestClient writer = DelegationHolder40.Other(Port);
        Assert.Equal(Nfs4Status.Delay, Open(writer, Unique("oo-"), holder.Name, Write).Status);
        Assert.Equal(1u, holder.Listener.Next().Procedure);

        // The client names a new callback (same verifier: a callback update, RFC 7530 §16.33.5); once it answers
        // the probe, the recall goes there, with the new callback_ident.
        using var alive = new CallbackListener40();
        Nfs4TestClient client = holder.Client;
        ulong clientId = client.ClientId;
        Assert.Equal(Nfs4Status.Ok, client.SetClientId(holder.ClientOwner, callback: alive.UniversalAddress, ident: DelegationHolder40.Ident + 1));
        Assert.Equal(clientId, client.ClientId);
        Assert.Equal(Nfs4Status.Ok, client.SetClientIdConfirm(client.ClientId, client.ConfirmVerifier));
        DelegationHolder40.AssertProbe(alive);
        ReceivedCallback recall = alive.Next();
        Assert.Equal(1u, recall.Procedure);
        AssertRecallArgs(recall, DelegationHolder40.Ident + 1, holder.Delegation.DelegationStateid);
    }

    [Fact]
    public void AnUnreachableCallbackGetsNoDelegation()
    {
        string address;
        using (var closed = new CallbackListener40()) address = closed.UniversalAddress; // nothing listens there any more
        using var holder = DelegationHolder40.At(Port, address);
        Thread.Sleep(500);
        Assert.Equal(0u, holder.OpenAgain().DelegationType);
        // It holds no delegation, so RENEW has nothing to warn of (as knfsd and ganesha).
        Assert.Equal(Nfs4Status.Ok, holder.Renew());
    }

    [Fact]
    public void ACallbackAddressOfAnotherHostIsNeverCalled()
    {
        // The client connects from 127.0.0.1 and names 127.0.0.2: the server must not connect there.
        using var elsewhere = new CallbackListener40(IPAddress.Parse("127.0.0.2"));
        using var holder = DelegationHolder40.At(Port, elsewhere.UniversalAddress);
        Thread.Sleep(500);
        Assert.Equal(0u, holder.OpenAgain().DelegationType);
        Assert.Equal(0, elsewhere.Connections);
        Assert.False(elsewhere.TryNext(0, out _));
    }

    [Theory]
    [InlineData("tcp", "127.0.0.1.3.232", "127.0.0.1", 1000)]
    [InlineData("tcp", "127.0.0.1.3.232", "::ffff:127.0.0.1", 1000)]        // an IPv4 client on a dual-stack socket
    [InlineData("tcp6", "::1.0.80", "::1", 80)]
    [InlineData("tcp", "127.0.0.2.3.232", "127.0.0.1", 0)]                  // another host
    [InlineData("tcp", "10.0.2.15.3.232", "127.0.0.1", 0)]                  // a guest behind NAT: its own address, not its peer's
    [InlineData("tcp6", "127.0.0.1.3.232", "127.0.0.1", 0)]                 // netid and address family disagree
    [InlineData("tcp", "127.0.0.1.0.0", "127.0.0.1", 0)]                    // port 0
    [InlineData("tcp", "127.0.0.1.256.1", "127.0.0.1", 0)]
    [InlineData("tcp", "127.0.0.1", "127.0.0.1", 0)]
    [InlineData("udp", "127.0.0.1.3.232", "127.0.0.1", 0)]
    [InlineData("tcp", "", "127.0.0.1", 0)]
    [InlineData("tcp", "..", "127.0.0.1", 0)]
    public void TheCallbackAddressIsTheClientsOwnHostOrNothing(string netid, string address, string peer, int port)
    {
        IPEndPoint? endpoint = CallbackClient40.Resolve(netid, address, IPAddress.Parse(peer));
        Assert.Equal(port, endpoint?.Port ?? 0);
    }
}
