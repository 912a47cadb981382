using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>
/// The MOUNT list (DUMP) cannot be grown by a client: issue 14's attack mounted ~60,000 spellings
/// of one path ("/export//m", "/export///m/", ...), each a new entry, until DUMP's recursive
/// encoding overflowed the stack and killed the server.
/// </summary>
public sealed class MountListTests : IDisposable
{
    private const int Spellings = 70_000;
    private const int Batch = 250;

    private readonly ServerProcess _server = new();

    public MountListTests() => _server.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public void SeventyThousandSpellingsOfOnePath_AreOneEntry_AndTheServerStillServes()
    {
        using (var setup = new Nfs3Client(_server.NfsPort))
        {
            Assert.Equal(Nfs3Status.Ok, setup.MkDir(setup.Mount(), "m", 0x1FF).Status);
        }
        using (var attacker = new RpcClient(_server.MountPort) { Uid = 1000, Gid = 1000 })
        {
            // Pipelined in batches so 70,000 calls take seconds, not a round trip each.
            uint xid = 1_000_000;
            int sent = 0;
            while (sent < Spellings)
            {
                int n = Math.Min(Batch, Spellings - sent);
                for (int i = 0; i < n; i++)
                {
                    string path = Spelling(sent + i);
                    attacker.SendRecord(attacker.BuildCall(xid++, Nfs3Client.MountProgram, 3, (uint)MountProcedure.Mnt, a => a.String(path)));
                }
                for (int i = 0; i < n; i++)
                {
                    RpcReply reply = RpcReply.Parse(attacker.ReceiveRecord());
                    Assert.True(reply.Accepted);
                    Assert.Equal(MountStatus.Ok, reply.Decode<MountRes3>().Status);
                }
                sent += n;
            }

            var (entries, bytes) = Dump(attacker);
            Assert.Equal([("127.0.0.1", "/export/m"), ("127.0.0.1", "/export")], entries); // the second: the setup's mount
            Assert.True(bytes <= MountTable.DumpReplyBudget + 4, $"DUMP reply of {bytes} bytes");

            // UMNT by yet another spelling removes the one entry.
            Assert.True(attacker.Call(Nfs3Client.MountProgram, 3, (uint)MountProcedure.Umnt, a => a.String("//export///m/")).Accepted);
            Assert.Equal([("127.0.0.1", "/export")], Dump(attacker).Entries);
        }

        // A bystander mounts and reads attributes as usual.
        using var bystander = new Nfs3Client(_server.NfsPort);
        byte[] root = bystander.Mount("/export");
        Assert.Equal(Nfs3Status.Ok, bystander.GetAttr(root).Status);
        Assert.False(_server.HasExited);
    }

    /// <summary>Distinct spellings of "/export/m": 1 to 300 slashes before "m", 0 to 299 after (under MNTPATHLEN).</summary>
    private static string Spelling(int i) => "/export" + new string('/', 1 + i / 300) + "m" + new string('/', i % 300);

    private static (List<(string Host, string Path)> Entries, int Bytes) Dump(RpcClient client)
    {
        RpcReply reply = client.Call(Nfs3Client.MountProgram, 3, (uint)MountProcedure.Dump);
        Assert.True(reply.Accepted);
        var entries = new List<(string, string)>();
        for (MountBody? b = reply.Decode<MountList>().Head; b is not null; b = b.Next) entries.Add((b.Hostname, b.Directory));
        return (entries, reply.Results.Length);
    }
}
