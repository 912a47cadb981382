using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

// The conflict check and the change are one transition: a delegation is either out before the change (and recalled
// by it) or granted after it, never granted in between so that its holder caches bytes the change then replaces.
public sealed partial class Nfs4DelegationTests
{
    /// <summary>
    /// One compound of the holder: OPEN of the file by handle for reading (CLAIM_FH), then READ with the current
    /// stateid; the delegation it came with (type, stateid) and the bytes read right after the grant.
    /// </summary>
    private static (uint Type, byte[] Stateid, string Data) OpenAndRead(Nfs4TestClient client, byte[] handle, string owner)
    {
        CompoundReply reply = client.Compound(4, b =>
        {
            client.Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)Nfs4Op.Open);
            b.UInt32(0);
            b.UInt32(Read);
            b.UInt32(0);
            b.UInt64(client.ClientId);
            b.Opaque(Encoding.UTF8.GetBytes(owner));
            b.UInt32(0);              // OPEN4_NOCREATE
            b.UInt32(4);              // CLAIM_FH
            b.UInt32((uint)Nfs4Op.Read);
            b.UInt32(1);              // the current stateid (§16.2.3.1.2)
            b.Raw(new byte[12]);
            b.UInt64(0);
            b.UInt32(100);
        });
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Reader.Raw(36);
        reply.Next();
        reply.Next();
        reply.Reader.Raw(16 + 4 + 8 + 8 + 4);
        reply.Reader.Raw((int)reply.Reader.UInt32() * 4);
        uint type = reply.Reader.UInt32();
        byte[] stateid = [];
        if (type == 1)
        {
            stateid = reply.Reader.Raw(16);
            reply.Reader.Raw(4 + 12);
            _ = reply.Reader.Opaque();
        }
        else
        {
            Assert.Equal(0u, type);
        }
        Assert.Equal(((uint)Nfs4Op.Read, Nfs4Status.Ok), reply.Next());
        _ = reply.Reader.Bool();
        return (type, stateid, Encoding.UTF8.GetString(reply.Reader.Opaque()));
    }

    /// <summary>SETATTR size 0 with the anonymous stateid (a truncation by a client with no open).</summary>
    private static Nfs4Status TruncateV4(Nfs4TestClient client, byte[] handle) => client.Compound(3, b =>
    {
        client.Sequence(b);
        b.UInt32((uint)Nfs4Op.PutFh);
        b.Opaque(handle);
        b.UInt32((uint)Nfs4Op.SetAttr);
        b.Raw(new byte[16]);
        Nfs4OperationTests.Bitmap(b, 4);
        b.UInt32(8);
        b.UInt64(0);
    }).Status;

    [Fact]
    public async Task GrantsRacingChangesNeverLeaveADelegationOnBytesTheChangeReplaced()
    {
        const int rounds = 45;
        using var creator = new Nfs4TestClient(fixture.Server.NfsPort);
        creator.Establish(Unique("race-c-"));
        using var changer = new Nfs4TestClient(fixture.Server.NfsPort);
        changer.Establish(Unique("race-b-"));
        using Nfs4TestClient holder = Holder(fixture.Server.NfsPort, "race-a-");
        using var v3 = new Nfs3Client(fixture.Server.NfsPort);
        byte[] root = v3.Mount();
        // Wait for the holder's probe to land: a first file it gets a delegation of.
        Opened warm = OpenDelegated(holder, "warm", CreateAndName(creator, "race-w-"));
        Assert.Equal(1u, warm.DelegationType);
        Assert.Equal(Nfs4Status.Ok, DelegReturn(holder, warm.Handle, warm.DelegationStateid));

        int delegated = 0, recalled = 0;
        for (int round = 0; round < rounds; round++)
        {
            string name = CreateAndName(creator, "race-");
            byte[] handle = Open(creator, "looker", name, Read).Handle;
            // Rotating changers: a v4.1 truncation, a v3 truncation, a v4.1 WRITE with the anonymous stateid.
            int how = round % 3;
            bool viaV3 = how == 1;
            byte[] v3Handle = viaV3 ? V3Handle(v3, root, name) : [];
            using var start = new Barrier(2);
            Task<(uint Type, byte[] Stateid, string Data)> open = Task.Run(() =>
            {
                start.SignalAndWait();
                return OpenAndRead(holder, handle, "r" + round);
            });
            bool delayed;
            start.SignalAndWait();
            if (viaV3)
            {
                Nfs3Status status = v3.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, new SetAttr3Args
                {
                    Object = Nfs3Client.Fh(v3Handle),
                    NewAttributes = new SAttr3 { Size = new SetUInt64 { Set = true, Value = 0 } },
                }).Status;
                Assert.True(status is Nfs3Status.Ok or Nfs3Status.Jukebox, $"v3 SETATTR: {status}");
                delayed = status == Nfs3Status.Jukebox;
            }
            else
            {
                Nfs4Status status = how == 0 ? TruncateV4(changer, handle) : WriteWith(changer, handle, AnonymousStateid, "NEW");
                Assert.True(status is Nfs4Status.Ok or Nfs4Status.Delay, $"SETATTR: {status}");
                delayed = status == Nfs4Status.Delay;
            }
            (uint type, byte[] stateid, string data) = await open.WaitAsync(TimeSpan.FromSeconds(30));
            if (delayed)
            {
                // The change found the delegation out: it was recalled, and the file kept its bytes.
                Assert.Equal(1u, type);
                Assert.Equal(stateid, holder.ReceiveRecall().Stateid);
                Assert.Equal("old", data);
                recalled++;
            }
            else if (type == 1)
            {
                // The change went through without a recall: the delegation must have been granted after it.
                Assert.True(data != "old", $"round {round} (changer {how}): a delegation granted before an unrecalled change cached \"{data}\"");
                Assert.Empty(holder.Rpc.Calls);
            }
            if (type == 1)
            {
                delegated++;
                Assert.Equal(Nfs4Status.Ok, DelegReturn(holder, handle, stateid));
            }
        }
        // Both outcomes happen at all (else the race was not run): delegations granted, some recalled.
        Assert.True(delegated > 0, $"no delegation granted ({recalled} recalled)");
    }

    private static string CreateAndName(Nfs4TestClient creator, string prefix)
    {
        string name = Unique(prefix);
        CreateFile(creator, name, "old");
        return name;
    }
}
