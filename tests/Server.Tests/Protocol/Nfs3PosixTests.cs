using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>
/// Issue 15 item 5 over raw NFSv3 (AUTH_SYS uids): POSIX's chown/chgrp rules (the VFS's chown_ok and
/// chgrp_ok), utimensat(UTIME_NOW) with write access only, and rename(2) between two names of one file.
/// </summary>
public sealed class Nfs3PosixTests(SquashFixture fixture) : IClassFixture<SquashFixture>
{
    private Nfs3Client Connect(uint uid)
    {
        var client = new Nfs3Client(fixture.Server.NfsPort);
        client.Rpc.Uid = uid;
        client.Rpc.Gid = uid;
        return client;
    }

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static SetAttr3Res SetAttr(Nfs3Client client, byte[] file, SAttr3 attributes) =>
        client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, new SetAttr3Args { Object = Nfs3Client.Fh(file), NewAttributes = attributes });

    private static SAttr3 Owner(uint? uid = null, uint? gid = null) => new()
    {
        Uid = new SetUInt32 { Set = uid is not null, Value = uid ?? 0 },
        Gid = new SetUInt32 { Set = gid is not null, Value = gid ?? 0 },
    };

    [Fact]
    public void ChownToTheCurrentOwnerIsPermForAStranger()
    {
        using Nfs3Client owner = Connect(1000);
        using Nfs3Client stranger = Connect(2000);
        byte[] dir = owner.Mount("/export");
        stranger.Mount("/export");
        byte[] file = owner.CreateFile(dir, Unique("chown-"));
        FAttr3 before = owner.GetAttr(file).ResOk.ObjAttributes;
        Assert.Equal((1000u, 1000u), (before.Uid, before.Gid));

        // Naming the values the file already has is still a chown / chgrp: only the owner (or root) may.
        Assert.Equal(Nfs3Status.Perm, SetAttr(stranger, file, Owner(uid: 1000)).Status);
        Assert.Equal(Nfs3Status.Perm, SetAttr(stranger, file, Owner(gid: 1000)).Status);
        Assert.Equal(Nfs3Status.Perm, SetAttr(stranger, file, Owner(uid: 1000, gid: 1000)).Status);
        // The owner may "change" its uid to itself and its group to the current one; not to a group it is not in.
        Assert.Equal(Nfs3Status.Ok, SetAttr(owner, file, Owner(uid: 1000, gid: 1000)).Status);
        Assert.Equal(Nfs3Status.Perm, SetAttr(owner, file, Owner(gid: 3000)).Status);
        Assert.Equal(Nfs3Status.Perm, SetAttr(owner, file, Owner(uid: 2000)).Status);
        FAttr3 after = owner.GetAttr(file).ResOk.ObjAttributes;
        Assert.Equal((1000u, 1000u), (after.Uid, after.Gid));
    }

    [Fact]
    public void TouchingWithServerTimeNeedsOnlyWriteAccess()
    {
        using Nfs3Client owner = Connect(1000);
        using Nfs3Client stranger = Connect(2000);
        byte[] dir = owner.Mount("/export");
        stranger.Mount("/export");
        byte[] file = owner.CreateFile(dir, Unique("utime-"));
        var now = new SAttr3 { ATime = new SetTime { Set = TimeHow.SetToServerTime }, MTime = new SetTime { Set = TimeHow.SetToServerTime } };
        var explicitTimes = new SAttr3
        {
            ATime = new SetTime { Set = TimeHow.SetToClientTime, Time = new NfsTime3 { Seconds = 1_000_000 } },
            MTime = new SetTime { Set = TimeHow.SetToClientTime, Time = new NfsTime3 { Seconds = 1_000_000 } },
        };

        // 0644: the stranger cannot write, so cannot touch either.
        Assert.Equal(Nfs3Status.Acces, SetAttr(stranger, file, now).Status);
        Assert.Equal(Nfs3Status.Ok, SetAttr(owner, file, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1B6 } }).Status);
        // 0666: utimensat(UTIME_NOW) works; explicit times stay the owner's.
        Assert.Equal(Nfs3Status.Ok, SetAttr(stranger, file, now).Status);
        Assert.Equal(Nfs3Status.Perm, SetAttr(stranger, file, explicitTimes).Status);
        Assert.Equal(Nfs3Status.Ok, SetAttr(owner, file, explicitTimes).Status);
        Assert.Equal(1_000_000u, owner.GetAttr(file).ResOk.ObjAttributes.MTime.Seconds);
    }

    private static Nfs3Status Rename(Nfs3Client client, byte[] dir, string from, string to) =>
        client.Call<Rename3Args, Rename3Res>(Nfs3Procedure.Rename, new Rename3Args { From = Nfs3Client.Where(dir, from), To = Nfs3Client.Where(dir, to) }).Status;

    [Fact]
    public void RenameOntoItselfOrAnotherLinkOfTheFileChangesNothing()
    {
        using Nfs3Client client = Connect(1000);
        byte[] dir = client.Mount("/export");
        string a = Unique("link-a-");
        string b = Unique("link-b-");
        byte[] file = client.CreateFile(dir, a);
        Link3Res link = client.Call<Link3Args, Link3Res>(Nfs3Procedure.Link, new Link3Args { File = Nfs3Client.Fh(file), Link = Nfs3Client.Where(dir, b) });
        Assert.Equal(Nfs3Status.Ok, link.Status);

        Assert.Equal(Nfs3Status.Ok, Rename(client, dir, a, a));
        Assert.Equal(Nfs3Status.Ok, Rename(client, dir, a, b));
        Assert.Equal(Nfs3Status.Ok, Rename(client, dir, b, a));

        // Both names are still there, for the same file with two links.
        Lookup3Res first = client.Lookup(dir, a);
        Lookup3Res second = client.Lookup(dir, b);
        Assert.Equal(Nfs3Status.Ok, first.Status);
        Assert.Equal(Nfs3Status.Ok, second.Status);
        Assert.Equal(first.ResOk.Object.Data.ToArray(), second.ResOk.Object.Data.ToArray());
        Assert.Equal(2u, client.GetAttr(file).ResOk.ObjAttributes.NLink);
    }
}
