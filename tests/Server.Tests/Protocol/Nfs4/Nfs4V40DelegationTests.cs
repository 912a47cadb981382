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
    private const uint Read = 1, Write = 2, CallbackProgram = 0x40000000, Ident = 77;

    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private sealed record Opened(Nfs4Status Status, byte[] Stateid, uint DelegationType, byte[] DelegationStateid, byte[] Handle);

    /// <summary>A 4.0 OPEN (no create) of the owner's next seqid, with the delegation part of the result decoded.</summary>
    private static Opened Open(Nfs4TestClient client, string owner, string name, uint access)
    {
        CompoundReply reply = client.Open40(owner, name, access, create: false);
        if (reply.Status != Nfs4Status.Ok) return new Opened(reply.Status, [], 0, [], []);
        reply.Next();
        reply.Next();
        Assert.Equal(((uint)Nfs4Op.Open, Nfs4Status.Ok), reply.Next());
        byte[] stateid = reply.Reader.Raw(16);
        reply.Reader.Raw(4 + 8 + 8 + 4);          // change_info4, rflags
        reply.Reader.Raw((int)reply.Reader.UInt32() * 4);
        uint type = reply.Reader.UInt32();
        byte[] delegation = [];
        if (type is 1 or 2)
        {
            delegation = reply.Reader.Raw(16);
            Assert.False(reply.Reader.Bool());    // recall
            if (type == 2) reply.Reader.Raw(12);  // nfs_space_limit4
            reply.Reader.Raw(12);                 // nfsace4 type, flag, mask
            _ = reply.Reader.Opaque();            // who
        }
        else
        {
            Assert.Equal(0u, type);               // OPEN_DELEGATE_NONE: 4.0 has no NONE_EXT
        }
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return new Opened(Nfs4Status.Ok, stateid, type, delegation, reply.Reader.Opaque());
    }

    /// <summary>A 4.0 client with its callback at <paramref name="callback"/>, and a file it made (its owner confirmed).</summary>
    private (Nfs4TestClient Client, string Owner, string Name) Holder(string callback, int port = 0)
    {
        var client = new Nfs4TestClient(port == 0 ? Port : port);
        client.Establish40(Unique("v40-"), callback: callback, ident: Ident);
        string owner = Unique("oo-"), name = Unique("f-");
        client.OpenConfirmed40(owner, name, access: Read);
        return (client, owner, name);
    }

    /// <summary>OPEN for reading again until the delegation comes (the probe's answer is handled after the confirm's reply).</summary>
    private static Opened OpenUntilDelegated(Nfs4TestClient client, string owner, string name)
    {
        for (int i = 0; ; i++)
        {
            Opened opened = Open(client, owner, name, Read);
            Assert.Equal(Nfs4Status.Ok, opened.Status);
            if (opened.DelegationType != 0 || i == 50) return opened;
            Thread.Sleep(100);
        }
    }

    private static void AssertProbe(CallbackListener40 listener)
    {
        ReceivedCallback probe = listener.Next();
        Assert.Equal((CallbackProgram, 1u, 0u), (probe.Program, probe.Version, probe.Procedure));
    }

    private static Nfs4Status DelegReturn(Nfs4TestClient client, byte[] handle, byte[] stateid) => client.Compound40(2, b =>
    {
        Nfs4TestClient.PutFh(b, handle);
        b.UInt32((uint)Nfs4Op.DelegReturn);
        b.Raw(stateid);
    }).Status;

    [Fact]
    public void AConflictingOpenRecallsTheDelegationAtTheCallbackAddressAndWaitsForDelegReturn()
    {
        using var listener = new CallbackListener40();
        (Nfs4TestClient holder, string owner, string name) = Holder(listener.UniversalAddress);
        using Nfs4TestClient owned = holder;
        AssertProbe(listener);
        Opened delegated = OpenUntilDelegated(holder, owner, name);
        Assert.Equal(1u, delegated.DelegationType);

        // Another client opens for writing: DELAY, and CB_RECALL (minorversion 0, the SETCLIENTID's callback_ident) reaches the holder.
        using var writer = new Nfs4TestClient(Port);
        writer.Establish40(Unique("v40-"));
        string writerOwner = Unique("oo-");
        Assert.Equal(Nfs4Status.Delay, Open(writer, writerOwner, name, Write).Status);
        ReceivedCallback recall = listener.Next();
        Assert.Equal((CallbackProgram, 1u, 1u, 1u), (recall.Program, recall.Version, recall.Procedure, recall.Flavor)); // AUTH_SYS
        _ = recall.Args.Opaque();                                 // tag
        Assert.Equal(0u, recall.Args.UInt32());                  // minorversion
        Assert.Equal(Ident, recall.Args.UInt32());               // callback_ident
        Assert.Equal(1u, recall.Args.UInt32());
        Assert.Equal(4u, recall.Args.UInt32());                  // CB_RECALL
        Assert.Equal(delegated.DelegationStateid, recall.Args.Raw(16));
        Assert.False(recall.Args.Bool());                        // truncate
        Assert.Equal(delegated.Handle, recall.Args.Opaque());

        Assert.Equal(Nfs4Status.Delay, Open(writer, writerOwner, name, Write).Status);
        Assert.Equal(Nfs4Status.Ok, DelegReturn(holder, delegated.Handle, delegated.DelegationStateid));
        Assert.Equal(Nfs4Status.Ok, Open(writer, writerOwner, name, Write).Status);
        Assert.Equal(Nfs4Status.Ok, holder.Renew(holder.ClientId));
        // Returned: a second DELEGRETURN of it names nothing.
        Assert.Equal(Nfs4Status.BadStateId, DelegReturn(holder, delegated.Handle, delegated.DelegationStateid));
    }

    [Fact]
    public void ARemoveByAnotherClientRecallsTheDelegationFirst()
    {
        using var listener = new CallbackListener40();
        (Nfs4TestClient holder, string owner, string name) = Holder(listener.UniversalAddress);
        using Nfs4TestClient owned = holder;
        AssertProbe(listener);
        Opened delegated = OpenUntilDelegated(holder, owner, name);
        Assert.Equal(1u, delegated.DelegationType);

        using var other = new Nfs4TestClient(Port);
        other.Establish40(Unique("v40-"));
        CompoundReply Remove() => other.Compound40(3, b =>
        {
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            b.UInt32((uint)Nfs4Op.Remove);
            b.Opaque(System.Text.Encoding.UTF8.GetBytes(name));
        });
        Assert.Equal(Nfs4Status.Delay, Remove().Status);
        Assert.Equal(1u, listener.Next().Procedure);             // CB_RECALL
        Assert.Equal(Nfs4Status.Ok, DelegReturn(holder, delegated.Handle, delegated.DelegationStateid));
        Assert.Equal(Nfs4Status.Ok, Remove().Status);
    }

    [Fact]
    public void DelegPurgeIsNotSupported()
    {
        // RFC 7530 §16.5: DELEGPURGE purges delegations awaiting CLAIM_DELEGATE_PREV, which this server does not offer.
        using var client = new Nfs4TestClient(Port);
        client.Establish40(Unique("v40-"));
        Assert.Equal(Nfs4Status.NotSupp, client.Compound40(1, b =>
        {
            b.UInt32((uint)Nfs4Op.DelegPurge);
            b.UInt64(client.ClientId);
        }).Status);
    }

    [Fact]
    public void ARecallNobodyAnswersMakesRenewSayCallbackPathDown()
    {
        using var listener = new CallbackListener40 { AnswerCompounds = false };
        (Nfs4TestClient holder, string owner, string name) = Holder(listener.UniversalAddress);
        using Nfs4TestClient owned = holder;
        AssertProbe(listener);
        Opened delegated = OpenUntilDelegated(holder, owner, name);
        Assert.Equal(1u, delegated.DelegationType);
        Assert.Equal(Nfs4Status.Ok, holder.Renew(holder.ClientId));

        using var writer = new Nfs4TestClient(Port);
        writer.Establish40(Unique("v40-"));
        Assert.Equal(Nfs4Status.Delay, Open(writer, Unique("oo-"), name, Write).Status);
        Assert.Equal(1u, listener.Next().Procedure);             // the CB_RECALL, never answered
        Nfs4Status renew = Nfs4Status.Ok;
        for (int i = 0; i < 100 && renew == Nfs4Status.Ok; i++)
        {
            Thread.Sleep(50);
            renew = holder.Renew(holder.ClientId);
        }
        Assert.Equal(Nfs4Status.CbPathDown, renew);
        // The path is down: the next OPEN gets no delegation; once the client returns the one it holds, RENEW is OK again.
        Assert.Equal(0u, Open(holder, owner, name, Read).DelegationType);
        Assert.Equal(Nfs4Status.Ok, DelegReturn(holder, delegated.Handle, delegated.DelegationStateid));
        Assert.Equal(Nfs4Status.Ok, holder.Renew(holder.ClientId));
    }

    [Fact]
    public void ADelegationNotReturnedWithinALeaseIsRevokedWhileRenewKeepsTheRestOfTheClientsState()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "5" });
        server.Start();
        using var listener = new CallbackListener40 { AnswerCompounds = false };
        (Nfs4TestClient holder, string owner, string name) = Holder(listener.UniversalAddress, server.NfsPort);
        using Nfs4TestClient owned = holder;
        AssertProbe(listener);
        Opened delegated = OpenUntilDelegated(holder, owner, name);
        Assert.Equal(1u, delegated.DelegationType);

        using var writer = new Nfs4TestClient(server.NfsPort);
        writer.Establish40(Unique("v40-"));
        string writerOwner = Unique("oo-");
        Assert.Equal(Nfs4Status.Delay, Open(writer, writerOwner, name, Write).Status);
        // The holder renews (CB_PATH_DOWN, its lease renewed all the same) but never returns the delegation.
        Nfs4Status status = Nfs4Status.Delay;
        DateTime until = DateTime.UtcNow.AddSeconds(30);
        while (status == Nfs4Status.Delay && DateTime.UtcNow < until)
        {
            Thread.Sleep(500);
            Assert.Contains(holder.Renew(holder.ClientId), new[] { Nfs4Status.Ok, Nfs4Status.CbPathDown });
            status = Open(writer, writerOwner, name, Write).Status;
        }
        Assert.Equal(Nfs4Status.Ok, status);
        // Revoked: gone (4.0 has no FREE_STATEID); the holder's open is alive and RENEW has nothing to warn of.
        Assert.Equal(Nfs4Status.BadStateId, DelegReturn(holder, delegated.Handle, delegated.DelegationStateid));
        Assert.Equal(Nfs4Status.Ok, holder.Renew(holder.ClientId));
        Assert.Equal(Nfs4Status.Ok, holder.OnOpen40(Nfs4Op.Close, delegated.Handle, delegated.Stateid, holder.NextSeqid(owner)).Status);
    }

    [Fact]
    public void ARecallThatFoundThePathDownIsSentAgainToANewCallbackAddress()
    {
        using var dead = new CallbackListener40 { AnswerCompounds = false };
        using var holder = new Nfs4TestClient(Port);
        string clientOwner = Unique("v40-"), owner = Unique("oo-"), name = Unique("f-");
        holder.Establish40(clientOwner, callback: dead.UniversalAddress, ident: Ident);
        holder.OpenConfirmed40(owner, name, access: Read);
        AssertProbe(dead);
        Opened delegated = OpenUntilDelegated(holder, owner, name);
        Assert.Equal(1u, delegated.DelegationType);
        using var writer = new Nfs4TestClient(Port);
        writer.Establish40(Unique("v40-"));
        Assert.Equal(Nfs4Status.Delay, Open(writer, Unique("oo-"), name, Write).Status);
        Assert.Equal(1u, dead.Next().Procedure);

        // The client names a new callback (same verifier: a callback update, RFC 7530 §16.33.5); once it answers
        // the probe, the recall goes there, with the new callback_ident.
        using var alive = new CallbackListener40();
        ulong clientId = holder.ClientId;
        Assert.Equal(Nfs4Status.Ok, holder.SetClientId(clientOwner, callback: alive.UniversalAddress, ident: Ident + 1));
        Assert.Equal(clientId, holder.ClientId);
        Assert.Equal(Nfs4Status.Ok, holder.SetClientIdConfirm(holder.ClientId, holder.ConfirmVerifier));
        AssertProbe(alive);
        ReceivedCallback recall = alive.Next();
        Assert.Equal(1u, recall.Procedure);
        _ = recall.Args.Opaque();
        Assert.Equal(0u, recall.Args.UInt32());
        Assert.Equal(Ident + 1, recall.Args.UInt32());
        Assert.Equal(1u, recall.Args.UInt32());
        Assert.Equal(4u, recall.Args.UInt32());
        Assert.Equal(delegated.DelegationStateid, recall.Args.Raw(16));
    }

    [Fact]
    public void AnUnreachableCallbackGetsNoDelegation()
    {
        string address;
        using (var closed = new CallbackListener40()) address = closed.UniversalAddress; // nothing listens there any more
        (Nfs4TestClient holder, string owner, string name) = Holder(address);
        using Nfs4TestClient owned = holder;
        Thread.Sleep(500);
        Assert.Equal(0u, Open(holder, owner, name, Read).DelegationType);
        // It holds no delegation, so RENEW has nothing to warn of (as knfsd and ganesha).
        Assert.Equal(Nfs4Status.Ok, holder.Renew(holder.ClientId));
    }

    [Fact]
    public void ACallbackAddressOfAnotherHostIsNeverCalled()
    {
        // The client connects from 127.0.0.1 and names 127.0.0.2: the server must not connect there.
        using var elsewhere = new CallbackListener40(IPAddress.Parse("127.0.0.2"));
        (Nfs4TestClient holder, string owner, string name) = Holder(elsewhere.UniversalAddress);
        using Nfs4TestClient owned = holder;
        Thread.Sleep(500);
        Assert.Equal(0u, Open(holder, owner, name, Read).DelegationType);
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
