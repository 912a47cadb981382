using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>MOUNT and the portmapper over a real socket, with several exports and their rules.</summary>
public sealed partial class MountAndPortmapTests : IClassFixture<MountAndPortmapTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public Fixture()
        {
            var settings = new Dictionary<string, string>
            {
                ["DittoFs:Exports:1:Path"] = "/ro",
                ["DittoFs:Exports:1:ReadOnly"] = "true",
                ["DittoFs:Exports:1:Squash"] = "None",
                ["DittoFs:Exports:2:Path"] = "/elsewhere",
                ["DittoFs:Exports:2:AllowedClients:0"] = "10.0.0.0/8",
                ["DittoFs:Exports:3:Path"] = "/squashed",
                ["DittoFs:Exports:3:Squash"] = "All",
                ["DittoFs:Exports:3:AnonymousUid"] = "4242",
                ["DittoFs:Exports:3:AnonymousGid"] = "4343",
                // Root squash to a configured anonymous user (the root directory is made 0777 below).
                ["DittoFs:Exports:4:Path"] = "/rootsquash",
                ["DittoFs:Exports:4:Squash"] = "None",
                ["DittoFs:Exports:4:AnonymousUid"] = "5555",
                ["DittoFs:Exports:4:AnonymousGid"] = "5556",
                // AUTH_NONE accepted here (as the anonymous user); refused everywhere else.
                ["DittoFs:Exports:5:Path"] = "/anon",
                ["DittoFs:Exports:5:Squash"] = "None",
                ["DittoFs:Exports:5:AllowAuthNone"] = "true",
                ["DittoFs:Exports:5:AnonymousUid"] = "6001",
                ["DittoFs:Exports:5:AnonymousGid"] = "6002",
            };
            // A squashed root cannot open up its own export: prepare the volumes unsquashed, then restart with root squash.
            _setup = new ServerProcess(settings: settings);
            _setup.Start();
            using (var client = new Nfs3Client(_setup.NfsPort))
            {
                foreach (string path in new[] { "/rootsquash", "/anon" })
                {
                    var chmod = new SetAttr3Args { Object = Nfs3Client.Fh(client.Mount(path)), NewAttributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1FF } } };
                    if (client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, chmod).Status != Nfs3Status.Ok) throw new InvalidOperationException("chmod " + path);
                }
            }
            _setup.Stop();
            settings["DittoFs:Exports:4:Squash"] = "Root";
            Server = new ServerProcess(_setup.DataDirectory, settings);
            Server.Start();
        }

        private readonly ServerProcess _setup;

        public ServerProcess Server { get; }

        public void Dispose()
        {
            Server.Dispose();
            _setup.Dispose();
        }
    }

    private readonly ServerProcess _server;

    public MountAndPortmapTests(Fixture fixture) => _server = fixture.Server;

    [Fact]
    public void PortmapperGetPortAnswersNfsAndMountPorts()
    {
        using var client = new RpcClient(_server.NfsPort);
        uint GetPort(uint program, uint version) =>
            client.Call(100000, 2, 3, a => { a.UInt32(program); a.UInt32(version); a.UInt32(6); a.UInt32(0); }).Reader().UInt32();
        Assert.Equal((uint)_server.NfsPort, GetPort(100003, 3));
        Assert.Equal((uint)_server.MountPort, GetPort(100005, 3));
        Assert.Equal((uint)_server.NfsPort, GetPort(100021, 4)); // NLM v4 beside NFS
        Assert.Equal(0u, GetPort(100021, 1)); // NLM v1: not served
        Assert.True(client.Call(100000, 2, 0).Accepted);
    }

    [Fact]
    public void MountAnswersOnBothPortsWithTheSameHandle()
    {
        using var a = new Nfs3Client(_server.NfsPort);
        using var b = new Nfs3Client(_server.MountPort);
        Assert.Equal(a.Mount(), b.Mount());
        Assert.Equal(a.Mount("/export/"), a.Mount("/export"));
    }

    [Fact]
    public void MountOfAnUnknownPathIsNoEnt()
    {
        using var client = new RpcClient(_server.NfsPort);
        MountRes3 res = client.Call(100005, 3, 1, a => a.String("/nope")).Decode<MountRes3>();
        Assert.Equal(MountStatus.NoEnt, res.Status);
    }

    [Fact]
    public void MountFromOutsideTheAllowedNetworksIsAcces()
    {
        using var client = new RpcClient(_server.NfsPort);
        MountRes3 res = client.Call(100005, 3, 1, a => a.String("/elsewhere")).Decode<MountRes3>();
        Assert.Equal(MountStatus.Acces, res.Status);
    }

    [Fact]
    public void MountOfASubdirectoryResolvesInsideTheExport()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        string sub = "sub-" + Guid.NewGuid().ToString("N")[..8];
        MkDir3Res made = client.MkDir(root, sub);
        Assert.Equal(Nfs3Status.Ok, made.Status);
        Assert.Equal(made.ResOk.Obj.Handle!.Value.Data.ToArray(), client.Mount("/export/" + sub));
        MountRes3 res = client.Rpc.Call(100005, 3, 1, a => a.String("/export/" + sub + "/..")).Decode<MountRes3>();
        Assert.NotEqual(MountStatus.Ok, res.Status);
    }

    [Fact]
    public void ExportListsEveryExport()
    {
        using var client = new RpcClient(_server.NfsPort);
        ExportList list = client.Call(100005, 3, 5).Decode<ExportList>();
        var paths = new List<string>();
        for (ExportNode? n = list.Head; n is not null; n = n.Next) paths.Add(n.Dir);
        Assert.Equal(["/anon", "/elsewhere", "/export", "/ro", "/rootsquash", "/squashed"], paths.Order().ToArray());
    }

    [Fact]
    public void ReadOnlyExportRefusesChangesWithRofs()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount("/ro");
        Assert.Equal(Nfs3Status.RoFs, client.Create(root, "x").Status);
        Assert.Equal(Nfs3Status.RoFs, client.MkDir(root, "d").Status);
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
        Access3Res access = client.Call<Access3Args, Access3Res>(Nfs3Procedure.Access, new Access3Args { Object = Nfs3Client.Fh(root), Access = 0x3F });
        Assert.Equal(Nfs3Status.Ok, access.Status);
        Assert.Equal(0u, access.ResOk.Access & (Access3.Modify | Access3.Extend | Access3.Delete));
    }

    [Fact]
    public void AllSquashCreatesFilesAsTheAnonymousUser()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        client.Rpc.Uid = 0;
        client.Rpc.Gid = 0;
        byte[] root = client.Mount("/squashed");
        // The export root belongs to root (0755): the squashed caller may not create in it.
        Assert.Equal(Nfs3Status.Acces, client.Create(root, "f").Status);
    }

    [Fact]
    public void PermissionsFollowModeBitsAndSupplementaryGroups()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        string name = "perm-" + Guid.NewGuid().ToString("N")[..8];
        // As root: a directory owned by 1000:2000 with mode 0770.
        MkDir3Res dir = client.MkDir(root, name, 0x1F8);
        Assert.Equal(Nfs3Status.Ok, dir.Status);
        byte[] dh = dir.ResOk.Obj.Handle!.Value.Data.ToArray();
        var chown = new SetAttr3Args { Object = Nfs3Client.Fh(dh), NewAttributes = new SAttr3 { Uid = new SetUInt32 { Set = true, Value = 1000 }, Gid = new SetUInt32 { Set = true, Value = 2000 } } };
        Assert.Equal(Nfs3Status.Ok, client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, chown).Status);

        client.Rpc.Uid = 3000; client.Rpc.Gid = 3000; client.Rpc.Gids = [];
        Assert.Equal(Nfs3Status.Acces, client.Create(dh, "other").Status);
        client.Rpc.Gids = [5, 2000]; // member of the directory's group through a supplementary gid
        Assert.Equal(Nfs3Status.Ok, client.Create(dh, "member").Status);
        client.Rpc.Uid = 1000; client.Rpc.Gid = 1000; client.Rpc.Gids = [];
        Assert.Equal(Nfs3Status.Ok, client.Create(dh, "owner").Status);
        // Non-owner chmod is EPERM.
        client.Rpc.Uid = 3000; client.Rpc.Gids = [2000];
        var chmod = new SetAttr3Args { Object = Nfs3Client.Fh(dh), NewAttributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1FF } } };
        Assert.Equal(Nfs3Status.Perm, client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, chmod).Status);
    }
}
