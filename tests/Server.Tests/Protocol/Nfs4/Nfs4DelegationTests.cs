using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// Delegations over the back channel (RFC 8881 §10.2, §10.4, §18.16, §20.1, §20.2): granted on OPEN to a client
/// that answers CB_NULL (read for reading, write for writing alone), recalled with CB_SEQUENCE + CB_RECALL on its
/// connection when another client (or an NFSv3 caller) conflicts (which gets DELAY / JUKEBOX until DELEGRETURN),
/// revoked when not returned within a lease.
/// </summary>
public sealed partial class Nfs4DelegationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const uint Read = 1, Write = 2;
    private const uint WantReadDeleg = 0x0100, WantWriteDeleg = 0x0200, WantNoDeleg = 0x0400;
    private const uint CbPathDown = 0x1, RecallableStateRevoked = 0x40;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private sealed record Opened(Nfs4Status Status, byte[] Stateid, uint DelegationType, byte[] DelegationStateid, uint Why, byte[] Handle);

    /// <summary>OPEN of a name in the export (created when asked), then GETFH; the delegation part of the result decoded.</summary>
    private static Opened Open(Nfs4TestClient client, string owner, string name, uint access, bool create = false)
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, owner, name, access, create);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        if (reply.Status != Nfs4Status.Ok) return new Opened(reply.Status, [], 0, [], 0, []);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        Assert.Equal(((uint)Nfs4Op.Open, Nfs4Status.Ok), reply.Next());
        byte[] stateid = reply.Reader.Raw(16);
        reply.Reader.Raw(4 + 8 + 8 + 4);
        uint words = reply.Reader.UInt32();
        reply.Reader.Raw((int)words * 4);
        uint type = reply.Reader.UInt32();
        byte[] delegation = [];
        uint why = 0;
        switch (type)
        {
            case 1: // OPEN_DELEGATE_READ
                delegation = reply.Reader.Raw(16);
                Assert.False(reply.Reader.Bool());    // recall
                reply.Reader.Raw(12);                 // nfsace4 type, flag, mask
                _ = reply.Reader.Opaque();            // who
                break;
            case 2: // OPEN_DELEGATE_WRITE
                delegation = reply.Reader.Raw(16);
                Assert.False(reply.Reader.Bool());    // recall
                Assert.Equal(1u, reply.Reader.UInt32()); // nfs_space_limit4: NFS_LIMIT_SIZE
                Assert.Equal(ulong.MaxValue, reply.Reader.UInt64());
                Assert.Equal(0u, reply.Reader.UInt32());  // ACE4_ACCESS_ALLOWED_ACE_TYPE
                _ = reply.Reader.UInt32();                // flag
                Assert.Equal(0x6u, reply.Reader.UInt32() & 0x6u); // WRITE_DATA | APPEND_DATA for the opener
                _ = reply.Reader.Opaque();                // who: the opener's uid
                break;
            case 3: // OPEN_DELEGATE_NONE_EXT
                why = reply.Reader.UInt32();
                if (why is 1 or 2) Assert.False(reply.Reader.Bool());
                break;
            default:
                Assert.Equal(0u, type);
                break;
        }
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return new Opened(Nfs4Status.Ok, stateid, type, delegation, why, reply.Reader.Opaque());
    }

    /// <summary>
    /// The probe's answer is handled by the server on its own task, so the first OPEN may race it: OPEN again
    /// (the same owner's open, upgraded) until the delegation comes, within a bounded time.
    /// </summary>
    private static Opened OpenDelegated(Nfs4TestClient client, string owner, string name, uint access = Read)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            Opened opened = Open(client, owner, name, access);
            Assert.Equal(Nfs4Status.Ok, opened.Status);
            if (opened.DelegationType != 0 || DateTime.UtcNow > until) return opened;
            Thread.Sleep(50);
        }
    }

    private static void CreateFile(Nfs4TestClient client, string name, string content)
    {
        Opened created = Open(client, "creator", name, Read | Write, create: true);
        Assert.Equal(Nfs4Status.Ok, created.Status);
        CompoundReply written = client.Compound(4, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(created.Handle);
            b.UInt32((uint)Nfs4Op.Write);
            b.Raw(created.Stateid);
            b.UInt64(0);
            b.UInt32(2); // FILE_SYNC4
            b.Opaque(Encoding.UTF8.GetBytes(content));
            b.UInt32((uint)Nfs4Op.Close);
            b.UInt32(0);
            b.Raw(created.Stateid);
        });
        Assert.Equal(Nfs4Status.Ok, written.Status);
    }

    private static (Nfs4Status Status, string Data) ReadWith(Nfs4TestClient client, byte[] handle, byte[] stateid)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)Nfs4Op.Read);
            b.Raw(stateid);
            b.UInt64(0);
            b.UInt32(100);
        });
        if (reply.Status != Nfs4Status.Ok) return (reply.Status, "");
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        _ = reply.Reader.Bool();
        return (Nfs4Status.Ok, Encoding.UTF8.GetString(reply.Reader.Opaque()));
    }

    private static Nfs4Status DelegReturn(Nfs4TestClient client, byte[] handle, byte[] stateid) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.DelegReturn);
        b.Raw(stateid);
    }).Status;

    private static uint SequenceFlags(Nfs4TestClient client)
    {
        CompoundReply reply = client.Compound(1, b => client.Sequence(b));
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(32);
        return reply.Reader.UInt32();
    }

    private static Nfs4TestClient Holder(int port, string prefix)
    {
        var client = new Nfs4TestClient(port);
        client.Establish(Unique(prefix));
        client.AnswerProbe();
        return client;
    }

    /// <summary>
    /// A file that <see cref="Other"/> created with some bytes (and closed) and <see cref="Holder"/> (whose back
    /// channel answers) opened and got a delegation of: a read one for <c>Read</c>, a write one for <c>Read | Write</c>.
    /// </summary>
    private sealed class HeldFile : IDisposable
    {
        public required Nfs4TestClient Holder { get; init; }
        public required Nfs4TestClient Other { get; init; }
        public required string Name { get; init; }
        public required Opened Held { get; init; }
        public byte[] Handle => Held.Handle;
        public byte[] Stateid => Held.DelegationStateid;

        /// <summary>DELEGRETURN by the holder.</summary>
        public Nfs4Status Return() => DelegReturn(Holder, Handle, Stateid);

        /// <summary>OPEN of the file by the other client.</summary>
        public Opened OpenByOther(string owner, uint access) => Open(Other, owner, Name, access);

        public void Dispose()
        {
            Holder.Dispose();
            Other.Dispose();
        }
    }

    private HeldFile Hold(string prefix, string content = "x", uint access = Read) => Hold(fixture.Server.NfsPort, prefix, content, access);

    private static HeldFile Hold(int port, string prefix, string content = "x", uint access = Read)
    {
        var other = new Nfs4TestClient(port);
        other.Establish(Unique(prefix + "-b-"));
        string name = Unique(prefix + "-");
        CreateFile(other, name, content);
        Nfs4TestClient holder = Holder(port, prefix + "-a-");
        Opened held = OpenDelegated(holder, "holder", name, access);
        Assert.Equal((access & Write) != 0 ? 2u : 1u, held.DelegationType);
        return new HeldFile { Holder = holder, Other = other, Name = name, Held = held };
    }

    [Fact]
    public async Task WriterIsDelayedUntilTheReadDelegationIsRecalledAndReturned()
    {
        PrometheusText before = await PrometheusText.ScrapeAsync(fixture.Server.HttpPort);
        using HeldFile f = Hold("deleg", "old bytes");
        // The delegation stateid is good for reading (§10.2), not for writing.
        Assert.Equal((Nfs4Status.Ok, "old bytes"), ReadWith(f.Holder, f.Handle, f.Stateid));

        Assert.Equal(Nfs4Status.Delay, f.OpenByOther("writer", Write).Status);

        Recall recall = f.Holder.ReceiveRecall();
        Assert.Equal(f.Holder.SessionId, recall.SessionId);
        Assert.Equal(1u, recall.Sequence);
        Assert.Equal(f.Stateid, recall.Stateid);
        Assert.Equal(f.Handle, recall.Fh);
        Assert.False(recall.Truncate);

        // Recalled, not yet returned: still DELAY, and no second recall for it.
        Assert.Equal(Nfs4Status.Delay, f.OpenByOther("writer", Write).Status);
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Empty(f.Holder.Rpc.Calls);

        Opened writer = f.OpenByOther("writer", Write);
        Assert.Equal(Nfs4Status.Ok, writer.Status);
        Assert.Equal(0u, writer.DelegationType);
        // The returned delegation's stateid is gone.
        Assert.Equal(Nfs4Status.BadStateId, ReadWith(f.Holder, f.Handle, f.Stateid).Status);

        PrometheusText after = await PrometheusText.ScrapeAsync(fixture.Server.HttpPort);
        Assert.True(after.Sum("dittofs_nfs4_delegations_granted_total") - before.Sum("dittofs_nfs4_delegations_granted_total") >= 1);
        Assert.Equal(1, after.Sum("dittofs_nfs4_delegations_recalled_total") - before.Sum("dittofs_nfs4_delegations_recalled_total"));
        Assert.Equal(1, after.Sum("dittofs_nfs4_delegations_recalled_total", "type=read") - before.Sum("dittofs_nfs4_delegations_recalled_total", "type=read"));
        Assert.True(after.Has("dittofs_nfs4_delegations_held"));
    }

    [Fact]
    public void RemoveByAnotherClientRecallsTheDelegation()
    {
        using HeldFile f = Hold("remove");
        Nfs4Status Remove() => f.Other.Compound(4, x =>
        {
            f.Other.Sequence(x);
            Nfs4TestClient.Op(x, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(x, "export");
            x.UInt32((uint)Nfs4Op.Remove);
            x.Opaque(Encoding.UTF8.GetBytes(f.Name));
        }).Status;

        Assert.Equal(Nfs4Status.Delay, Remove());
        Assert.Equal(f.Stateid, f.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Equal(Nfs4Status.Ok, Remove());
    }

    [Fact]
    public void ATruncatingCreateByAnotherClientWaitsForTheDelegationBeforeTouchingTheFile()
    {
        using HeldFile f = Hold("trunc", "old bytes");
        Nfs4TestClient b = f.Other;
        string name = f.Name;

        // OPEN4_CREATE UNCHECKED4 with size 0 (what O_CREAT|O_TRUNC sends) of the existing file.
        Nfs4Status CreateTruncating() => b.Compound(4, x =>
        {
            b.Sequence(x);
            Nfs4TestClient.Op(x, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(x, "export");
            x.UInt32((uint)Nfs4Op.Open);
            x.UInt32(0);
            x.UInt32(Write);
            x.UInt32(0);
            x.UInt64(b.ClientId);
            x.Opaque("truncator"u8);
            x.UInt32(1);                          // OPEN4_CREATE
            x.UInt32(0);                          // UNCHECKED4
            Nfs4OperationTests.Bitmap(x, 4);      // size
            x.UInt32(8);
            x.UInt64(0);
            x.UInt32(0);                          // CLAIM_NULL
            x.Opaque(Encoding.UTF8.GetBytes(name));
        }).Status;

        Assert.Equal(Nfs4Status.Delay, CreateTruncating());
        f.Holder.ReceiveRecall();
        // Nothing changed while the delegation is out: the holder still reads its bytes from the server.
        Assert.Equal((Nfs4Status.Ok, "old bytes"), ReadWith(f.Holder, f.Handle, f.Stateid));
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Equal(Nfs4Status.Ok, CreateTruncating());
        Assert.Equal((Nfs4Status.Ok, ""), ReadWith(f.Holder, f.Handle, Stateid4Bypass));
    }

    private static readonly byte[] Stateid4Bypass = [.. Enumerable.Repeat((byte)0xFF, 16)];

    [Fact]
    public void ABackChannelBoundOnAnotherConnectionCarriesTheProbeAndTheRecall()
    {
        using var b = new Nfs4TestClient(fixture.Server.NfsPort);
        b.Establish(Unique("bind-b-"));
        string name = Unique("bound-");
        CreateFile(b, name, "x");

        // a's session has no back channel; a second connection binds one (§18.34, what Linux does after CB_PATH_DOWN).
        using var a = new Nfs4TestClient(fixture.Server.NfsPort);
        a.Establish(Unique("bind-a-"), backChannel: false);
        Assert.Equal(0u, Open(a, "before", name, Read).DelegationType);
        using var back = new Nfs4TestClient(fixture.Server.NfsPort);
        CompoundReply bound = back.Compound(1, x =>
        {
            x.UInt32((uint)Nfs4Op.BindConnToSession);
            x.Raw(a.SessionId);
            x.UInt32(3);   // CDFC4_FORE_OR_BOTH
            x.UInt32(0);   // no RDMA
        });
        Assert.Equal(Nfs4Status.Ok, bound.Status);
        bound.Next();
        Assert.Equal(a.SessionId, bound.Reader.Raw(16));
        Assert.Equal(3u, bound.Reader.UInt32()); // CDFS4_BOTH
        back.AnswerProbe();

        Opened held = OpenDelegated(a, "reader", name);
        Assert.Equal(1u, held.DelegationType);
        Assert.Equal(Nfs4Status.Delay, Open(b, "writer", name, Write).Status);
        Recall recall = back.ReceiveRecall();
        Assert.Equal(held.DelegationStateid, recall.Stateid);
        Assert.Empty(a.Rpc.Calls);
        Assert.Equal(Nfs4Status.Ok, DelegReturn(a, held.Handle, held.DelegationStateid));
        Assert.Equal(Nfs4Status.Ok, Open(b, "writer", name, Write).Status);
    }

    [Fact]
    public void BackchannelCtlSetsTheProgramAndAnAuthSysCredentialForCallbacks()
    {
        using Nfs4TestClient a = Holder(fixture.Server.NfsPort, "ctl-a-");
        CompoundReply ctl = a.Compound(2, x =>
        {
            a.Sequence(x);
            x.UInt32((uint)Nfs4Op.BackchannelCtl);
            x.UInt32(0x40000123);
            x.UInt32(1);              // one callback_sec_parms4: AUTH_SYS
            x.UInt32(1);
            x.UInt32(77);             // stamp
            x.String("cbhost");
            x.UInt32(7);              // uid
            x.UInt32(8);              // gid
            x.UInt32(0);              // no gids
        });
        Assert.Equal(Nfs4Status.Ok, ctl.Status);

        // The back channel is probed again with what was set: the program, and the authsys_parms as the credential.
        Callback probe = a.ReceiveCallback();
        Assert.Equal((0x40000123u, 1u, 0u, 1u), (probe.Program, probe.Version, probe.Procedure, probe.Flavor));
        var credential = new XdrReaderBox(probe.Credential);
        Assert.Equal(77u, credential.UInt32());
        Assert.Equal("cbhost", credential.String());
        Assert.Equal((7u, 8u, 0u), (credential.UInt32(), credential.UInt32(), credential.UInt32()));
        a.ReplyToCallback(probe.Xid);

        // Only RPCSEC_GSS offered: we cannot call back with it (knfsd answers the same).
        CompoundReply gss = a.Compound(2, x =>
        {
            a.Sequence(x);
            x.UInt32((uint)Nfs4Op.BackchannelCtl);
            x.UInt32(0x40000123);
            x.UInt32(1);
            x.UInt32(6);              // RPCSEC_GSS
            x.UInt32(1);              // gcbp_service
            x.Opaque([1]);
            x.Opaque([2]);
        });
        Assert.Equal(Nfs4Status.EncrAlgUnsupp, gss.Status);
    }

    [Fact]
    public void WantFlagsAreAnsweredWithNoneExtAndAReason()
    {
        using HeldFile f = Hold("want");
        (Nfs4TestClient a, Nfs4TestClient b, string name) = (f.Holder, f.Other, f.Name);
        Assert.Equal(Nfs4Status.Ok, f.Return());

        // WANT_WRITE_DELEG with an open for reading, WANT_READ_DELEG with one for writing: NONE_EXT, WND4_CONTENTION.
        Opened readerWantsWrite = Open(a, "reader1", name, Read | WantWriteDeleg);
        Assert.Equal((3u, 1u), (readerWantsWrite.DelegationType, readerWantsWrite.Why));
        Opened writerWantsRead = Open(a, "writer1", name, Write | WantReadDeleg);
        Assert.Equal((3u, 1u), (writerWantsRead.DelegationType, writerWantsRead.Why));

        // WANT_NO_DELEG: OPEN_DELEGATE_NONE_EXT, WND4_NOT_WANTED.
        Opened declined = Open(a, "reader2", name, Read | WantNoDeleg);
        Assert.Equal(Nfs4Status.Ok, declined.Status);
        Assert.Equal((3u, 0u), (declined.DelegationType, declined.Why));

        // WANT_READ_DELEG while another client has the file open for writing: NONE_EXT, WND4_CONTENTION.
        Opened writer = Open(b, "writer", name, Write);
        Assert.Equal(Nfs4Status.Ok, writer.Status);
        Opened contended = Open(a, "reader3", name, Read | WantReadDeleg);
        Assert.Equal(Nfs4Status.Ok, contended.Status);
        Assert.Equal((3u, 1u), (contended.DelegationType, contended.Why));

        // No preference: plain OPEN_DELEGATE_NONE.
        Assert.Equal(0u, Open(a, "reader4", name, Read).DelegationType);
    }

    [Fact]
    public void WithoutABackChannelThereIsNoDelegationAndSequenceSaysSo()
    {
        using var b = new Nfs4TestClient(fixture.Server.NfsPort);
        b.Establish(Unique("noback-b-"));
        string name = Unique("lonely-");
        CreateFile(b, name, "x");

        using var a = new Nfs4TestClient(fixture.Server.NfsPort);
        a.Establish(Unique("noback-a-"), backChannel: false);
        Opened opened = Open(a, "reader", name, Read);
        Assert.Equal(Nfs4Status.Ok, opened.Status);
        Assert.Equal(0u, opened.DelegationType);
        Assert.Equal(CbPathDown, SequenceFlags(a) & CbPathDown);
        Opened asked = Open(a, "reader2", name, Read | WantReadDeleg);
        Assert.Equal((3u, 2u), (asked.DelegationType, asked.Why)); // WND4_RESOURCE

        // A client that answers its probe is not reported down.
        using Nfs4TestClient c = Holder(fixture.Server.NfsPort, "noback-c-");
        Assert.Equal(0u, SequenceFlags(c) & CbPathDown);
    }

    [Fact]
    public async Task ARecallNotAnsweredWithinALeaseRevokesTheDelegation()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "5" });
        server.Start();
        using HeldFile f = Hold(server.NfsPort, "revoke");
        (Nfs4TestClient a, Nfs4TestClient b, string name, Opened held) = (f.Holder, f.Other, f.Name, f.Held);

        Assert.Equal(Nfs4Status.Delay, Open(b, "writer", name, Write).Status);
        Recall recall = a.ReceiveRecall(answer: false);
        Assert.Equal(held.DelegationStateid, recall.Stateid);

        // a keeps its lease but never returns the delegation: after a lease b's open goes through.
        Nfs4Status status = Nfs4Status.Delay;
        DateTime until = DateTime.UtcNow.AddSeconds(30);
        while (status == Nfs4Status.Delay && DateTime.UtcNow < until)
        {
            Thread.Sleep(500);
            SequenceFlags(a);
            status = Open(b, "writer", name, Write).Status;
        }
        Assert.Equal(Nfs4Status.Ok, status);

        Assert.Equal(RecallableStateRevoked, SequenceFlags(a) & RecallableStateRevoked);
        Assert.Equal(Nfs4Status.DelegRevoked, ReadWith(a, held.Handle, held.DelegationStateid).Status);
        Assert.Equal(Nfs4Status.DelegRevoked, DelegReturn(a, held.Handle, held.DelegationStateid));
        CompoundReply freed = a.Compound(2, x =>
        {
            a.Sequence(x);
            x.UInt32((uint)Nfs4Op.FreeStateId);
            x.Raw(held.DelegationStateid);
        });
        Assert.Equal(Nfs4Status.Ok, freed.Status);
        Assert.Equal(0u, SequenceFlags(a) & RecallableStateRevoked);

        PrometheusText metrics = await PrometheusText.ScrapeAsync(server.HttpPort);
        Assert.Equal(1, metrics.Sum("dittofs_nfs4_delegations_revoked_total"));
        Assert.Equal(0, metrics.Sum("dittofs_nfs4_delegations_held"));
    }

    [Fact]
    public async Task ARecallThatGotNoAnswerIsSentAgainOnANewlyBoundBackChannel()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:LeaseSeconds"] = "10" });
        server.Start();
        using HeldFile f = Hold(server.NfsPort, "rebind");
        (Nfs4TestClient a, Nfs4TestClient b, string name, Opened held) = (f.Holder, f.Other, f.Name, f.Held);

        Assert.Equal(Nfs4Status.Delay, Open(b, "writer", name, Write).Status);
        a.ReceiveRecall(answer: false);
        // The unanswered callback times out (half a lease): SEQUENCE then reports the back channel down.
        DateTime until = DateTime.UtcNow.AddSeconds(20);
        while ((SequenceFlags(a) & CbPathDown) == 0 && DateTime.UtcNow < until) Thread.Sleep(200);
        Assert.Equal(CbPathDown, SequenceFlags(a) & CbPathDown);

        // The client binds a new connection for its back channel, as Linux does on CB_PATH_DOWN: the recall comes again there.
        using var back = new Nfs4TestClient(server.NfsPort);
        CompoundReply bound = back.Compound(1, x =>
        {
            x.UInt32((uint)Nfs4Op.BindConnToSession);
            x.Raw(a.SessionId);
            x.UInt32(7);   // CDFC4_BACK_OR_BOTH
            x.UInt32(0);
        });
        Assert.Equal(Nfs4Status.Ok, bound.Status);
        back.AnswerProbe();
        Recall again = back.ReceiveRecall();
        Assert.Equal(held.DelegationStateid, again.Stateid);
        Assert.Equal(1u, again.Sequence); // the unanswered call did not take sequenceid 1 of the slot
        Assert.Equal(Nfs4Status.Ok, DelegReturn(a, held.Handle, held.DelegationStateid));
        Assert.Equal(Nfs4Status.Ok, Open(b, "writer", name, Write).Status);
        PrometheusText metrics = await PrometheusText.ScrapeAsync(server.HttpPort);
        Assert.Equal(0, metrics.Sum("dittofs_nfs4_delegations_revoked_total"));
        Assert.Equal(1, metrics.Sum("dittofs_nfs4_delegations_recalled_total"));
    }

    [Fact]
    public void DelegationsCanBeTurnedOff()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:Delegations"] = "false" });
        server.Start();
        using var b = new Nfs4TestClient(server.NfsPort);
        b.Establish(Unique("off-b-"));
        string name = Unique("plain-");
        CreateFile(b, name, "x");
        using Nfs4TestClient a = Holder(server.NfsPort, "off-a-");
        Thread.Sleep(200); // let the probe's answer land: the open below must not be refused for want of it
        Assert.Equal(0u, Open(a, "reader", name, Read).DelegationType);
        Opened asked = Open(a, "reader2", name, Read | WantReadDeleg);
        Assert.Equal(3u, asked.DelegationType);
        Assert.Equal(Nfs4Status.Ok, Open(b, "writer", name, Write).Status);
    }
}
