using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Rpc;

/// <summary>A retransmitted non-idempotent call gets the first reply again, even on a new connection.</summary>
public sealed class DuplicateRequestCacheTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private int Port => fixture.Server.NfsPort;

    [Fact]
    public void RetransmittedRemoveReplaysTheFirstReplyByteForByte()
    {
        using var setup = new Nfs3Client(Port);
        byte[] root = setup.Mount();
        string name = "drc-" + Guid.NewGuid();
        setup.CreateFile(root, name);

        var box = new XdrWriterBox();
        box.Write(new Remove3Args { Object = Nfs3Client.Where(root, name) });
        byte[] args = box.Bytes.ToArray();
        const uint xid = 0x5EED_0001;

        byte[] first, second, third;
        using (var a = new RpcClient(Port))
        {
            a.SendRecord(a.BuildCall(xid, 100003, 3, (uint)Nfs3Procedure.Remove, w => w.Raw(args)));
            first = a.ReceiveRecord();
        }
        using (var b = new RpcClient(Port)) // the retry comes on a new connection, from a new port
        {
            b.SendRecord(b.BuildCall(xid, 100003, 3, (uint)Nfs3Procedure.Remove, w => w.Raw(args)));
            second = b.ReceiveRecord();
            b.SendRecord(b.BuildCall(xid + 1, 100003, 3, (uint)Nfs3Procedure.Remove, w => w.Raw(args)));
            third = b.ReceiveRecord();
        }
        Assert.Equal(Nfs3Status.Ok, RpcReply.Parse(first).Decode<Remove3Res>().Status);
        Assert.Equal(first, second);
        // A new xid is a new call: the name is gone by now.
        Assert.Equal(Nfs3Status.NoEnt, RpcReply.Parse(third).Decode<Remove3Res>().Status);
    }

    [Fact]
    public void RetransmittedGuardedCreateDoesNotAnswerExist()
    {
        using var setup = new Nfs3Client(Port);
        byte[] root = setup.Mount();
        string name = "drc-create-" + Guid.NewGuid();
        var box = new XdrWriterBox();
        box.Write(new Create3Args { Where = Nfs3Client.Where(root, name), How = new CreateHow3 { Mode = CreateMode3.Guarded } });
        byte[] args = box.Bytes.ToArray();
        using var client = new RpcClient(Port);
        client.SendRecord(client.BuildCall(0x5EED_0100, 100003, 3, (uint)Nfs3Procedure.Create, w => w.Raw(args)));
        Create3Res first = RpcReply.Parse(client.ReceiveRecord()).Decode<Create3Res>();
        client.SendRecord(client.BuildCall(0x5EED_0100, 100003, 3, (uint)Nfs3Procedure.Create, w => w.Raw(args)));
        Create3Res again = RpcReply.Parse(client.ReceiveRecord()).Decode<Create3Res>();
        Assert.Equal(Nfs3Status.Ok, first.Status);
        Assert.Equal(Nfs3Status.Ok, again.Status);
        Assert.Equal(first.ResOk.Obj.Handle!.Value.Data.ToArray(), again.ResOk.Obj.Handle!.Value.Data.ToArray());
    }
}
