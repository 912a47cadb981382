using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// RFC 8881 §18.36.3 and §2.10.6.4: CREATE_SESSION checks the channel attributes (TOOSMALL, INVAL for
/// unknown flags) and only lowers what the client offers; SEQUENCE then holds the session to them
/// (REQ_TOO_BIG, REP_TOO_BIG). §18.34: BIND_CONN_TO_SESSION only by the client's principal.
/// </summary>
public sealed class Nfs4SessionRulesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    private static string Owner() => "rules-" + Guid.NewGuid().ToString("N");

    private sealed record Channel(uint MaxRequest, uint MaxResponse, uint Cached, uint MaxOps, uint Slots);

    private static readonly Channel Normal = new(1 << 20, 1 << 20, 8192, 16, 4);

    private static ulong ExchangeId(Nfs4TestClient client)
    {
        CompoundReply ex = client.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, Owner()));
        Assert.Equal(((uint)Nfs4Op.ExchangeId, Nfs4Status.Ok), ex.Next());
        return ex.Reader.UInt64();
    }

    private static void WriteChannel(XdrWriterBox b, Channel c)
    {
        b.UInt32(0);
        b.UInt32(c.MaxRequest);
        b.UInt32(c.MaxResponse);
        b.UInt32(c.Cached);
        b.UInt32(c.MaxOps);
        b.UInt32(c.Slots);
        b.UInt32(0);
    }

    private static CompoundReply CreateSession(Nfs4TestClient client, ulong clientId, Channel fore, Channel? back = null, uint flags = 0x2, uint seq = 1) =>
        client.Compound(1, b =>
        {
            b.UInt32((uint)Nfs4Op.CreateSession);
            b.UInt64(clientId);
            b.UInt32(seq);
            b.UInt32(flags);
            WriteChannel(b, fore);
            WriteChannel(b, back ?? new Channel(4096, 4096, 0, 2, 1));
            b.UInt32(0x40000000);
            b.UInt32(1);
            b.UInt32(0);
        });

    /// <summary>The session id and the fore channel the server answered.</summary>
    private static (byte[] Session, Channel Fore) ReadCreateSession(CompoundReply reply)
    {
        Assert.Equal(((uint)Nfs4Op.CreateSession, Nfs4Status.Ok), reply.Next());
        byte[] session = reply.Reader.Raw(16);
        reply.Reader.Raw(8); // sequence, flags
        _ = reply.Reader.UInt32(); // headerpad
        var fore = new Channel(reply.Reader.UInt32(), reply.Reader.UInt32(), reply.Reader.UInt32(), reply.Reader.UInt32(), reply.Reader.UInt32());
        return (session, fore);
    }

    [Theory]
    [InlineData(60u, 1u << 20, 4096u, 4096u)] // fore request cannot carry a SEQUENCE
    [InlineData(1u << 20, 60u, 4096u, 4096u)] // fore reply cannot carry a SEQUENCE result
    [InlineData(1u << 20, 1u << 20, 40u, 4096u)] // back channel request
    [InlineData(1u << 20, 1u << 20, 4096u, 40u)] // back channel reply
    public void ChannelsTooSmallForASequenceAreTooSmall(uint foreRequest, uint foreResponse, uint backRequest, uint backResponse)
    {
        using var client = new Nfs4TestClient(Port);
        ulong id = ExchangeId(client);
        CompoundReply reply = CreateSession(client, id, Normal with { MaxRequest = foreRequest, MaxResponse = foreResponse },
            new Channel(backRequest, backResponse, 0, 2, 1));
        Assert.Equal(Nfs4Status.TooSmall, reply.Status);
        // Not consumed: the same sequenceid with sane channels goes through.
        Assert.Equal(Nfs4Status.Ok, CreateSession(client, id, Normal).Status);
    }

    [Theory]
    [InlineData(0x8u)]
    [InlineData(0x80000000u)]
    public void UnknownCreateSessionFlagsAreInval(uint flags)
    {
        using var client = new Nfs4TestClient(Port);
        ulong id = ExchangeId(client);
        Assert.Equal(Nfs4Status.Inval, CreateSession(client, id, Normal, flags: flags | 0x2).Status);
        Assert.Equal(Nfs4Status.Ok, CreateSession(client, id, Normal).Status);
    }

    [Fact]
    public void TheServerLowersNeverRaisesTheOfferedAttributes()
    {
        using var client = new Nfs4TestClient(Port);
        ulong id = ExchangeId(client);
        // Small offers are kept as they are; a cached size above the reply size is cut to it.
        var (_, fore) = ReadCreateSession(CreateSession(client, id, new Channel(2000, 1500, 8192, 3, 2)));
        Assert.Equal(new Channel(2000, 1500, 1500, 3, 2), fore);

        using var greedy = new Nfs4TestClient(Port);
        ulong greedyId = ExchangeId(greedy);
        var (_, huge) = ReadCreateSession(CreateSession(greedy, greedyId, new Channel(uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue)));
        Assert.True(huge.MaxRequest < uint.MaxValue && huge.MaxResponse < uint.MaxValue, huge.ToString());
        Assert.True(huge.Cached <= huge.MaxResponse, huge.ToString());
        Assert.True(huge.MaxOps <= Nfs4Program.MaxOperations && huge.Slots <= 1024, huge.ToString());
    }

    private Nfs4TestClient WithSession(Channel fore)
    {
        var client = new Nfs4TestClient(Port);
        ulong id = ExchangeId(client);
        var (session, answered) = ReadCreateSession(CreateSession(client, id, fore));
        Assert.Equal(fore, answered);
        client.UseSession(session);
        return client;
    }

    [Fact]
    public void ARequestOverMaxRequestSizeIsReqTooBigAndLeavesTheSlotAlone()
    {
        using Nfs4TestClient client = WithSession(new Channel(1024, 1 << 16, 4096, 16, 2));
        byte[] data = new byte[1500];
        CompoundReply big = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            b.UInt32((uint)Nfs4Op.Write);
            b.Raw(new byte[16]);
            b.UInt64(0);
            b.UInt32(2); // FILE_SYNC4
            b.Opaque(data);
        });
        Assert.Equal(Nfs4Status.ReqTooBig, big.Status);
        Assert.Equal(1, big.Count);
        Assert.Equal(((uint)Nfs4Op.Sequence, Nfs4Status.ReqTooBig), big.Next());

        // The slot did not move: the same seqid is a new request, not a retry.
        CompoundReply next = client.Compound(2, b =>
        {
            client.Sequence(b, seqid: client.SlotSeq[0]);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        });
        Assert.Equal(Nfs4Status.Ok, next.Status);
        Assert.Equal(2, next.Count);
    }

    [Fact]
    public void AReplyOverMaxResponseSizeIsRepTooBig()
    {
        using Nfs4TestClient client = WithSession(new Channel(1 << 16, 1024, 1024, 128, 2));
        // SEQUENCE and 40 × (PUTROOTFH, GETFH): well over 1024 bytes of reply.
        CompoundReply big = client.Compound(81, b =>
        {
            client.Sequence(b, cacheThis: false);
            for (int i = 0; i < 40; i++)
            {
                Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
                Nfs4TestClient.Op(b, Nfs4Op.GetFh);
            }
        });
        Assert.Equal(Nfs4Status.RepTooBig, big.Status);
        // What came before the failing op fit; that op is left with its status alone.
        Assert.True(big.Record.Length <= 1024 + 8, $"reply of {big.Record.Length} bytes");
        Assert.InRange(big.Count, 2, 80);
        Assert.Equal(Nfs4Status.Ok, big.Next().Status);
        big.Reader.Raw(36);
        for (int i = 2; i < big.Count; i++)
        {
            (uint op, Nfs4Status status) = big.Next();
            if (op == (uint)Nfs4Op.GetFh) _ = big.Reader.Opaque();
        }
        Assert.Equal(Nfs4Status.RepTooBig, big.Next().Status);

        // A reply that fits still works on the session.
        Assert.Equal(Nfs4Status.Ok, client.Compound(2, b =>
        {
            client.Sequence(b, cacheThis: false);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        }).Status);
    }

    private static Nfs4Status Bind(Nfs4TestClient client, byte[] session) => client.Compound(1, b =>
    {
        b.UInt32((uint)Nfs4Op.BindConnToSession);
        b.Raw(session);
        b.UInt32(3); // CDFC4_FORE_OR_BOTH
        b.UInt32(0);
    }).Status;

    [Fact]
    public void BindConnToSessionNeedsTheClientsPrincipal()
    {
        using var owner = new Nfs4TestClient(Port);
        owner.Rpc.Uid = 1000;
        owner.Establish(Owner());

        using var stranger = new Nfs4TestClient(Port);
        stranger.Rpc.Uid = 2000;
        Assert.Equal(Nfs4Status.WrongCred, Bind(stranger, owner.SessionId));

        using var again = new Nfs4TestClient(Port);
        again.Rpc.Uid = 1000;
        Assert.Equal(Nfs4Status.Ok, Bind(again, owner.SessionId));
    }

    [Fact]
    public void NewClientsBeyondMaxClientsWait()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nfs4:MaxClients"] = "2" });
        server.Start();
        using var client = new Nfs4TestClient(server.NfsPort);
        string first = Owner();
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, first)).Status);
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, Owner())).Status);
        Assert.Equal(Nfs4Status.Delay, client.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, Owner())).Status);
        // A known owner still gets its record (it replaces its own unconfirmed one).
        Assert.Equal(Nfs4Status.Ok, client.Compound(1, b => Nfs4TestClient.ExchangeIdArgs(b, first)).Status);
    }
}
