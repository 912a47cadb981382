using System.Buffers.Binary;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// RPC REPLY records (msg_type 1) the server did not ask for. On the fore channel: a flood with random xids and
/// junk bodies is dropped record by record, the connection keeps working, and only a record too short to be an
/// RPC message closes it. On a back channel: replies with unknown xids, garbage and a reply made for another
/// call never complete the real CB_RECALL (the server treats the back channel as not answering), and an
/// oversized reply closes that connection only. Other clients are served throughout.
/// </summary>
public sealed class Nfs4HostileReplyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const uint Read = 1, Write = 2;
    private const uint CbPathDownSession = 0x200;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    /// <summary>One record: the last-fragment mark and the body.</summary>
    private static byte[] Record(ReadOnlySpan<byte> body)
    {
        byte[] record = new byte[4 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(record, 0x80000000u | (uint)body.Length);
        body.CopyTo(record.AsSpan(4));
        return record;
    }

    /// <summary>A REPLY header (xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS) then <paramref name="results"/>.</summary>
    private static byte[] Reply(uint xid, Action<XdrWriterBox>? results = null)
    {
        var b = new XdrWriterBox();
        foreach (uint v in new uint[] { xid, 1, 0, 0, 0, 0 }) b.UInt32(v);
        results?.Invoke(b);
        return b.Bytes.ToArray();
    }

    /// <summary>A well-formed CB_COMPOUND4res: CB_SEQUENCE (session, sequence) + CB_RECALL, both NFS4_OK.</summary>
    private static Action<XdrWriterBox> RecallAnswer(byte[] session, uint sequence) => b =>
    {
        b.UInt32(0);
        b.Opaque([]);
        b.UInt32(2);
        b.UInt32(11);
        b.UInt32(0);
        b.Raw(session);
        b.UInt32(sequence);
        b.UInt32(0);
        b.UInt32(0);
        b.UInt32(0);
        b.UInt32(4);
        b.UInt32(0);
    };

    private static uint SequenceFlags(Nfs4TestClient client)
    {
        CompoundReply reply = client.Compound(1, b => client.Sequence(b));
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(32);
        return reply.Reader.UInt32();
    }

    /// <summary>OPEN in the export, then GETFH: status, delegation type (1 = read), handle.</summary>
    private static (Nfs4Status Status, uint Delegation, byte[] Stateid, byte[] Handle) Open(Nfs4TestClient client, string owner, string name, uint access, bool create = false)
    {
        CompoundReply reply = client.Compound(5, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
            Nfs4TestClient.Lookup(b, "export");
            Nfs4OperationTests.Open(b, client.ClientId, owner, name, access, create);
            Nfs4TestClient.Op(b, Nfs4Op.GetFh);
        });
        if (reply.Status != Nfs4Status.Ok) return (reply.Status, 0, [], []);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        reply.Next();
        byte[] stateid = reply.Reader.Raw(16);
        reply.Reader.Raw(4 + 8 + 8 + 4);
        reply.Reader.Raw((int)reply.Reader.UInt32() * 4);
        uint type = reply.Reader.UInt32();
        if (type == 1)
        {
            reply.Reader.Raw(16 + 4 + 12);
            _ = reply.Reader.Opaque();
        }
        else if (type == 3 && reply.Reader.UInt32() is 1 or 2) _ = reply.Reader.Bool();
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return (Nfs4Status.Ok, type, stateid, reply.Reader.Opaque());
    }

    [Fact]
    public async Task AFloodOfUnaskedRepliesOnTheForeChannelIsDroppedAndHurtsNobody()
    {
        using var bystander = new Nfs4TestClient(fixture.Server.NfsPort);
        bystander.Establish(Unique("flood-b-"), backChannel: false);
        using var flooder = new Nfs4TestClient(fixture.Server.NfsPort);
        flooder.Establish(Unique("flood-a-"), backChannel: false);

        using var stop = new CancellationTokenSource();
        int served = 0;
        Task others = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(Nfs4Status.Ok, bystander.Compound(1, b => bystander.Sequence(b)).Status);
                served++;
            }
        });

        // 20,000 REPLY records: random xids, bodies from the bare header to 2 KiB of junk, sent in 64 KiB writes.
        var random = new Random(15);
        var batch = new MemoryStream();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] body = new byte[8 + random.Next(0, 2048)];
            random.NextBytes(body);
            BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), 1); // msg_type REPLY
            batch.Write(Record(body));
            if (batch.Length > 64 * 1024 || i == 19_999)
            {
                flooder.Rpc.SendRaw(batch.ToArray());
                batch.SetLength(0);
            }
        }
        // Dropped, not answered: the flooder's own next call is answered, and first.
        Assert.Equal(Nfs4Status.Ok, flooder.Compound(1, b => flooder.Sequence(b)).Status);
        Assert.Empty(flooder.Rpc.Calls);

        // A record too short to hold msg_type names nothing to answer: that connection (only) is closed.
        flooder.Rpc.SendRaw(Record([0, 0, 0, 7]));
        Assert.True(flooder.Rpc.IsClosedByServer(), "a 4-byte record closes its connection");

        stop.Cancel();
        await others.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(served > 0);
        Assert.Equal(Nfs4Status.Ok, bystander.Compound(1, b => bystander.Sequence(b)).Status);
    }

    [Fact]
    public void WrongRepliesOnTheBackChannelNeverCompleteTheRecallAndAnOversizedOneClosesOnlyThatConnection()
    {
        using var writer = new Nfs4TestClient(fixture.Server.NfsPort);
        writer.Establish(Unique("hostile-w-"));
        writer.AnswerProbe();
        string name = Unique("hostile-");
        var created = Open(writer, "creator", name, Read | Write, create: true);
        Assert.Equal(Nfs4Status.Ok, created.Status);
        Assert.Equal(Nfs4Status.Ok, writer.Compound(2, b =>
        {
            writer.Sequence(b);
            Nfs4TestClient.PutFh(b, created.Handle);
        }).Status);
        Assert.Equal(Nfs4Status.Ok, writer.Compound(3, b =>
        {
            writer.Sequence(b);
            Nfs4TestClient.PutFh(b, created.Handle);
            b.UInt32((uint)Nfs4Op.Close);
            b.UInt32(0);
            b.Raw(created.Stateid);
        }).Status);

        using var holder = new Nfs4TestClient(fixture.Server.NfsPort);
        holder.Establish(Unique("hostile-h-"));
        holder.AnswerProbe();
        (Nfs4Status Status, uint Delegation, byte[] Stateid, byte[] Handle) held = default;
        DateTime until = DateTime.UtcNow.AddSeconds(20);
        while (held.Delegation != 1 && DateTime.UtcNow < until)
        {
            held = Open(holder, "reader", name, Read);
            Assert.Equal(Nfs4Status.Ok, held.Status);
            if (held.Delegation != 1) Thread.Sleep(50);
        }
        Assert.Equal(1u, held.Delegation);
        Assert.Equal(0u, SequenceFlags(holder) & CbPathDownSession);

        // Another client's OPEN for writing: DELAY, and a CB_RECALL on the holder's back channel.
        Assert.Equal(Nfs4Status.Delay, Open(writer, "writer", name, Write).Status);
        Callback cb = holder.ReceiveCallback();
        Assert.Equal(1u, cb.Procedure);
        uint xid = cb.Xid;
        _ = cb.Args.Opaque();                // tag
        cb.Args.Raw(4 + 4 + 4 + 4);         // minorversion, callback_ident, 2 ops, CB_SEQUENCE
        var recall = (SessionId: cb.Args.Raw(16), Sequence: cb.Args.UInt32());

        // Right answers under xids the server never used; garbage REPLY bodies; then, under the right xid, a
        // CB_COMPOUND answer made for another call (another session, another sequenceid).
        var flood = new MemoryStream();
        var random = new Random(8881);
        foreach (uint wrong in new[] { xid + 1, xid - 1, xid + 1000, (uint)random.Next(), (uint)random.Next(), xid ^ 0x80000000 })
        {
            flood.Write(Record(Reply(wrong, RecallAnswer(recall.SessionId, recall.Sequence))));
        }
        for (int i = 0; i < 50; i++)
        {
            byte[] junk = new byte[8 + random.Next(0, 512)];
            random.NextBytes(junk);
            BinaryPrimitives.WriteUInt32BigEndian(junk.AsSpan(4), 1);
            if (BinaryPrimitives.ReadUInt32BigEndian(junk) == xid) junk[0] ^= 0xFF;
            flood.Write(Record(junk));
        }
        byte[] otherSession = recall.SessionId.ToArray();
        otherSession[15] ^= 0x5A;
        flood.Write(Record(Reply(xid, RecallAnswer(otherSession, recall.Sequence + 7))));
        holder.Rpc.SendRaw(flood.ToArray());

        // The recall was not answered: the server says the session's back channel is down (it would be up had
        // any of those replies been taken for the recall's answer).
        uint flags = 0;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while ((flags & CbPathDownSession) == 0 && DateTime.UtcNow < deadline)
        {
            flags = SequenceFlags(holder);
            if ((flags & CbPathDownSession) == 0) Thread.Sleep(100);
        }
        Assert.Equal(CbPathDownSession, flags & CbPathDownSession);

        // A reply record over the server's record limit (declared 64 MiB): that connection is closed, nobody else's.
        byte[] huge = new byte[4 + 24];
        BinaryPrimitives.WriteUInt32BigEndian(huge, 0x80000000u | (64u << 20));
        Reply(xid).CopyTo(huge.AsSpan(4));
        holder.Rpc.SendRaw(huge);
        Assert.True(holder.Rpc.IsClosedByServer(), "an oversized reply closes its connection");
        Assert.Equal(0u, SequenceFlags(writer) & CbPathDownSession);
        using var late = new Nfs4TestClient(fixture.Server.NfsPort);
        late.Establish(Unique("hostile-late-"), backChannel: false);
        Assert.Equal(Nfs4Status.Ok, late.Compound(1, b => late.Sequence(b)).Status);
    }
}
