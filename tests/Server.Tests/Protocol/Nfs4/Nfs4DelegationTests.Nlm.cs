using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nlm;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

// An NLM lock of a delegated file: the holder may lock locally without asking, so an exclusive NLM lock recalls any
// delegation (a shared one only a write delegation) and is answered DENIED_GRACE_PERIOD (the Linux client waits and
// retries) until it is returned.
public sealed partial class Nfs4DelegationTests
{
    [Fact]
    public void AnExclusiveNlmLockRecallsTheDelegationAndWaitsUntilItIsReturned()
    {
        using HeldFile f = Hold("nlm-x");
        using var v3 = new Nfs3Client(fixture.Server.NfsPort);
        byte[] fh = V3Handle(v3, v3.Mount(), f.Name);
        using var nlm = new NlmTestClient(fixture.Server.NfsPort, "nlm-deleg");

        Assert.Equal(Nlm4Status.Granted, nlm.Lock(fh, svid: 1, exclusive: false)); // a read delegation: readers lock beside it
        Assert.Empty(f.Holder.Rpc.Calls);
        Assert.Equal(Nlm4Status.DeniedGracePeriod, nlm.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(f.Stateid, f.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nlm4Status.DeniedGracePeriod, nlm.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Equal(Nlm4Status.Granted, nlm.Lock(fh, svid: 1, offset: 0, length: 10));

        // While the NLM host holds its ranges no delegation is granted (its holder would lock over them locally);
        // once they go, one is again.
        Opened reopened = Open(f.Holder, "holder-locked-out", f.Name, Read);
        Assert.Equal(Nfs4Status.Ok, reopened.Status);
        Assert.True(reopened.DelegationType is not (1 or 2), $"delegation {reopened.DelegationType} granted over an NLM lock");
        Assert.Equal(Nlm4Status.Granted, nlm.Unlock(fh, svid: 1));
        Assert.Equal(1u, OpenDelegated(f.Holder, "holder-after-unlock", f.Name).DelegationType);
    }
}
