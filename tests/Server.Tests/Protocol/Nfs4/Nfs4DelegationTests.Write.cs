using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

// Write delegations (RFC 8881 §10.4): granted to a client that opens for writing alone; any other client's access
// conflicts; another client's GETATTR of size or change is answered from the holder by CB_GETATTR (§20.1).
public sealed partial class Nfs4DelegationTests
{
    /// <summary>GETATTR of change (3) and size (4) by <paramref name="client"/>: the status and, when OK, both values.</summary>
    private static (Nfs4Status Status, ulong Change, ulong Size) GetSizeAndChange(Nfs4TestClient client, byte[] handle)
    {
        CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)Nfs4Op.GetAttr);
            Nfs4OperationTests.Bitmap(b, 3, 4);
        });
        if (reply.Status != Nfs4Status.Ok) return (reply.Status, 0, 0);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        uint words = reply.Reader.UInt32();
        reply.Reader.Raw((int)words * 4);
        var values = new XdrReaderBox(reply.Reader.Opaque());
        return (Nfs4Status.Ok, values.UInt64(), values.UInt64());
    }

    /// <summary>
    /// Reads a CB_COMPOUND of CB_SEQUENCE + CB_GETATTR (asserting it asks change and size of <paramref name="handle"/>)
    /// and answers it: with these values, or with <paramref name="failWith"/> as CB_GETATTR's status.
    /// </summary>
    private static void AnswerGetAttr(Nfs4TestClient holder, byte[] handle, ulong change, ulong size, uint failWith = 0)
    {
        Callback cb = holder.ReceiveCallback();
        Assert.Equal(1u, cb.Procedure);
        XdrReaderBox r = cb.Args;
        _ = r.Opaque();
        Assert.Equal(1u, r.UInt32());
        _ = r.UInt32();
        Assert.Equal(2u, r.UInt32());
        Assert.Equal(11u, r.UInt32());              // CB_SEQUENCE
        byte[] session = r.Raw(16);
        uint sequence = r.UInt32();
        uint slot = r.UInt32();
        _ = r.UInt32();
        _ = r.Bool();
        _ = r.UInt32();
        Assert.Equal(3u, r.UInt32());               // CB_GETATTR
        Assert.Equal(handle, r.Opaque());
        Assert.Equal(1u, r.UInt32());
        Assert.Equal((1u << 3) | (1u << 4), r.UInt32());
        holder.ReplyToCallback(cb.Xid, b =>
        {
            b.UInt32(failWith);
            b.Opaque([]);
            b.UInt32(2);
            b.UInt32(11);
            b.UInt32(0);
            b.Raw(session);
            b.UInt32(sequence);
            b.UInt32(slot);
            b.UInt32(0);
            b.UInt32(0);
            b.UInt32(3);
            b.UInt32(failWith);
            if (failWith != 0) return;
            b.UInt32(1);
            b.UInt32((1u << 3) | (1u << 4));
            var values = new XdrWriterBox();
            values.UInt64(change);
            values.UInt64(size);
            b.Opaque(values.Bytes);
        });
    }

    private static Nfs4Status WriteWith(Nfs4TestClient client, byte[] handle, byte[] stateid, string data) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.Write);
        b.Raw(stateid);
        b.UInt64(0);
        b.UInt32(2); // FILE_SYNC4
        b.Opaque(Encoding.UTF8.GetBytes(data));
    }).Status;

    private static readonly byte[] AnonymousStateid = new byte[16];

    [Fact]
    public async Task AWriterAloneGetsAWriteDelegationAndAnotherClientsGetattrAsksItsHolder()
    {
        PrometheusText before = await PrometheusText.ScrapeAsync(fixture.Server.HttpPort);
        using HeldFile f = Hold("wdeleg", "old bytes", Read | Write);
        // The write delegation's stateid is good for writing (§10.4).
        Assert.Equal(Nfs4Status.Ok, WriteWith(f.Holder, f.Handle, f.Stateid, "NEW"));

        // Another client's GETATTR of size and change: the holder is asked (it may have written more locally).
        Task<(Nfs4Status, ulong, ulong)> stat = Task.Run(() => GetSizeAndChange(f.Other, f.Handle));
        AnswerGetAttr(f.Holder, f.Handle, change: 4242, size: 5000);
        Assert.Equal((Nfs4Status.Ok, 4242ul, 5000ul), await stat.WaitAsync(TimeSpan.FromSeconds(30)));

        // Its read conflicts: recalled, DELAY until returned, then the bytes written under the delegation.
        Assert.Equal(Nfs4Status.Delay, ReadWith(f.Other, f.Handle, AnonymousStateid).Status);
        Recall recall = f.Holder.ReceiveRecall();
        Assert.Equal(f.Stateid, recall.Stateid);
        Assert.Equal(Nfs4Status.Delay, GetSizeAndChange(f.Other, f.Handle).Status); // being recalled: not asked again
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Empty(f.Holder.Rpc.Calls);
        Assert.Equal((Nfs4Status.Ok, "NEW bytes"), ReadWith(f.Other, f.Handle, AnonymousStateid));
        Assert.Equal(9ul, GetSizeAndChange(f.Other, f.Handle).Size);

        PrometheusText after = await PrometheusText.ScrapeAsync(fixture.Server.HttpPort);
        double Delta(string name, params string[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        Assert.Equal(1, Delta("dittofs_nfs4_delegations_granted_total", "type=write"));
        Assert.Equal(1, Delta("dittofs_nfs4_delegations_recalled_total", "type=write"));
        Assert.Equal(0, Delta("dittofs_nfs4_delegations_recalled_total", "type=read"));
        Assert.Equal(1, Delta("dittofs_nfs4_delegations_getattr_total"));
    }

    [Fact]
    public async Task AnotherClientsOpenForReadingRecallsAWriteDelegationAndAFailedGetattrCallbackRecallsToo()
    {
        using HeldFile f = Hold("wopen", "x", Read | Write);
        Assert.Equal(Nfs4Status.Delay, f.OpenByOther("reader", Read).Status);
        Assert.Equal(f.Stateid, f.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Opened reader = f.OpenByOther("reader", Read);
        Assert.Equal(Nfs4Status.Ok, reader.Status);

        // While someone else has it open, a writer gets no write delegation (the other client answers its probe too).
        Opened contended = Open(f.Holder, "writer2", f.Name, Read | Write | WantWriteDeleg);
        Assert.Equal((3u, 1u), (contended.DelegationType, contended.Why));

        // The OPEN that creates a file gets none; opening it again for writing does.
        string made = Unique("made-");
        Assert.Equal(0u, Open(f.Holder, "maker", made, Read | Write, create: true).DelegationType);
        Opened again = Open(f.Holder, "maker2", made, Read | Write);
        Assert.Equal(2u, again.DelegationType);
        Assert.Equal(Nfs4Status.Ok, DelegReturn(f.Holder, again.Handle, again.DelegationStateid));

        // A holder that cannot answer CB_GETATTR has its write delegation recalled instead; the GETATTR gets DELAY.
        using HeldFile g = Hold("wfail", "x", Read | Write);
        Task<(Nfs4Status, ulong, ulong)> stat = Task.Run(() => GetSizeAndChange(g.Other, g.Handle));
        AnswerGetAttr(g.Holder, g.Handle, 0, 0, failWith: 10001); // NFS4ERR_BADHANDLE
        Assert.Equal(Nfs4Status.Delay, (await stat.WaitAsync(TimeSpan.FromSeconds(30))).Item1);
        Assert.Equal(g.Stateid, g.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Ok, g.Return());
        Assert.Equal(Nfs4Status.Ok, GetSizeAndChange(g.Other, g.Handle).Status);
    }
}
