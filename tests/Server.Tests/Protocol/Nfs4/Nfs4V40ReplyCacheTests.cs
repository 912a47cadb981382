using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// NFSv4.0 has no session slot: a COMPOUND that changed something, retransmitted (same xid, same bytes) on a new
/// connection, is answered from the RPC duplicate request cache instead of running twice; one that changed
/// nothing runs again.
/// </summary>
public sealed class Nfs4V40ReplyCacheTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static void InExport(XdrWriterBox b, Nfs4Op op, string name)
    {
        Nfs4TestClient.Op(b, Nfs4Op.PutRootFh);
        Nfs4TestClient.Lookup(b, "export");
        b.UInt32((uint)op);
        b.Opaque(Encoding.UTF8.GetBytes(name));
    }

    [Fact]
    public void ARemoveRetransmittedOnANewConnectionGetsTheFirstReply()
    {
        using var first = new Nfs4TestClient(Port);
        first.Establish40(Unique("v40-"));
        string name = Unique("f-");
        first.OpenConfirmed40(Unique("oo-"), name);
        uint xid = first.NextXid();
        byte[] call = first.BuildCompound(xid, 0, 3, b => InExport(b, Nfs4Op.Remove, name));
        first.Rpc.SendRecord(call);
        byte[] reply = first.Rpc.ReceiveRecord();
        Assert.Equal(Nfs4Status.Ok, Nfs4TestClient.Parse(reply).Status);

        // The client reconnects and sends the call again: the reply of the first execution, byte for byte (not NOENT).
        using var again = new Nfs4TestClient(Port);
        again.Rpc.SendRecord(call);
        byte[] retransmitted = again.Rpc.ReceiveRecord();
        Assert.Equal(reply, retransmitted);

        // Another xid is another request: it runs, and the file is gone.
        CompoundReply removed = again.Compound40(3, b => InExport(b, Nfs4Op.Remove, name));
        Assert.Equal(Nfs4Status.NoEnt, removed.Status);
    }

    [Fact]
    public void ACompoundThatChangedNothingRunsAgain()
    {
        using var client = new Nfs4TestClient(Port);
        client.Establish40(Unique("v40-"));
        string name = Unique("f-");
        byte[] call = client.BuildCompound(client.NextXid(), 0, 3, b => InExport(b, Nfs4Op.Lookup, name));
        client.Rpc.SendRecord(call);
        Assert.Equal(Nfs4Status.NoEnt, Nfs4TestClient.Parse(client.Rpc.ReceiveRecord()).Status);
        client.OpenConfirmed40(Unique("oo-"), name);

        using var again = new Nfs4TestClient(Port);
        again.Rpc.SendRecord(call);
        Assert.Equal(Nfs4Status.Ok, Nfs4TestClient.Parse(again.Rpc.ReceiveRecord()).Status);
    }
}
