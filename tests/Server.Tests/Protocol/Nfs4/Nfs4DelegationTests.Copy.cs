using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

// COPY and CLONE (RFC 7862 §15.2, §15.13) read the source and write the destination for their client: another
// client's write delegation of the source, or any of its delegations of the destination, is recalled first (DELAY).
public sealed partial class Nfs4DelegationTests
{
    private static readonly byte[] NoStateid = new byte[16];

    /// <summary>SEQUENCE, PUTFH source, SAVEFH, PUTFH destination, then COPY (synchronous) or CLONE of the whole file, anonymous stateids.</summary>
    private static Nfs4Status CopyWhole(Nfs4TestClient client, byte[] source, byte[] destination, bool clone = false) => client.Compound(5, b =>
    {
        client.Sequence(b);
        Nfs4TestClient.PutFh(b, source);
        Nfs4TestClient.Op(b, Nfs4Op.SaveFh);
        Nfs4TestClient.PutFh(b, destination);
        b.UInt32((uint)(clone ? Nfs4Op.Clone : Nfs4Op.Copy));
        b.Raw(NoStateid);
        b.Raw(NoStateid);
        b.UInt64(0);
        b.UInt64(0);
        b.UInt64(0); // to the source's end
        if (clone) return;
        b.UInt32(1); // consecutive
        b.UInt32(1); // synchronous
        b.UInt32(0); // no source server
    }, minor: 2).Status;

    [Fact]
    public void CopyRecallsAWriteDelegationOfTheSourceAndAReadDelegationOfTheDestinationAtOnce()
    {
        using HeldFile source = Hold("copysrc", "old bytes", Read | Write);
        using HeldFile destination = Hold("copydst", "replaced");
        // The holder's bytes written under its write delegation are what the copy must see.
        Assert.Equal(Nfs4Status.Ok, WriteWith(source.Holder, source.Handle, source.Stateid, "NEW"));

        Assert.Equal(Nfs4Status.Delay, CopyWhole(source.Other, source.Handle, destination.Handle));
        // Both recalls with the first DELAY, not one per retry.
        Assert.Equal(source.Stateid, source.Holder.ReceiveRecall().Stateid);
        Assert.Equal(destination.Stateid, destination.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Delay, CopyWhole(source.Other, source.Handle, destination.Handle));
        Assert.Equal(Nfs4Status.Ok, source.Return());
        Assert.Equal(Nfs4Status.Delay, CopyWhole(source.Other, source.Handle, destination.Handle));
        Assert.Equal(Nfs4Status.Ok, destination.Return());

        Assert.Equal(Nfs4Status.Ok, CopyWhole(source.Other, source.Handle, destination.Handle));
        Assert.Equal((Nfs4Status.Ok, "NEW bytes"), ReadWith(source.Other, destination.Handle, NoStateid));
        Assert.Empty(source.Holder.Rpc.Calls);
        Assert.Empty(destination.Holder.Rpc.Calls);
    }

    [Fact]
    public void CloneIntoADelegatedFileWaitsForItsReturnButAReadDelegationOfTheSourceIsNoConflict()
    {
        using HeldFile source = Hold("clonesrc", "shared bytes");
        using HeldFile destination = Hold("clonedst", "old");

        Assert.Equal(Nfs4Status.Delay, CopyWhole(source.Other, source.Handle, destination.Handle, clone: true));
        Assert.Equal(destination.Stateid, destination.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Ok, destination.Return());
        Assert.Equal(Nfs4Status.Ok, CopyWhole(source.Other, source.Handle, destination.Handle, clone: true));
        Assert.Equal((Nfs4Status.Ok, "shared bytes"), ReadWith(destination.Other, destination.Handle, NoStateid));

        // The source's read delegation stays: reading it conflicts with nothing, and it is still good for reading.
        Assert.Equal((Nfs4Status.Ok, "shared bytes"), ReadWith(source.Holder, source.Handle, source.Stateid));
        Assert.Empty(source.Holder.Rpc.Calls);
        Assert.Equal(Nfs4Status.Ok, source.Return());
    }

    [Fact]
    public void TheCopyingClientsOwnDelegationsAreNotRecalled()
    {
        using HeldFile f = Hold("copyown", "mine", Read | Write);
        string name = Unique("copyown-dst-");
        CreateFile(f.Holder, name, "");
        Opened destination = Open(f.Holder, "dst-owner", name, Read);
        Assert.Equal(Nfs4Status.Ok, destination.Status);

        Assert.Equal(Nfs4Status.Ok, CopyWhole(f.Holder, f.Handle, destination.Handle));
        Assert.Equal((Nfs4Status.Ok, "mine"), ReadWith(f.Holder, destination.Handle, NoStateid));
        Assert.Empty(f.Holder.Rpc.Calls);
    }
}
