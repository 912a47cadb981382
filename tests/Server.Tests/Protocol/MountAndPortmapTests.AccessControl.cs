using System.Buffers.Binary;
using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>
/// Access rules with crafted AUTH_SYS / AUTH_NONE credentials, one test per rule, and path safety:
/// handles never cross exports, names never carry a path, symlinks are text the server never follows.
/// </summary>
public sealed partial class MountAndPortmapTests
{
    private const uint Sticky = 0x200, SetGid = 0x400;

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private static byte[] HandleOf(Create3Res res) => res.ResOk.Obj.Handle!.Value.Data.ToArray();

    private static byte[] HandleOf(MkDir3Res res) => res.ResOk.Obj.Handle!.Value.Data.ToArray();

    private static FAttr3 Attributes(Nfs3Client client, byte[] fh)
    {
        GetAttr3Res res = client.GetAttr(fh);
        Assert.Equal(Nfs3Status.Ok, res.Status);
        return res.ResOk.ObjAttributes;
    }

    private static Nfs3Status SetAttr(Nfs3Client client, byte[] fh, SAttr3 attrs) =>
        client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, new SetAttr3Args { Object = Nfs3Client.Fh(fh), NewAttributes = attrs }).Status;

    private static Nfs3Status Chown(Nfs3Client client, byte[] fh, uint uid, uint gid) =>
        SetAttr(client, fh, new SAttr3 { Uid = new SetUInt32 { Set = true, Value = uid }, Gid = new SetUInt32 { Set = true, Value = gid } });

    private static Nfs3Status Rename(Nfs3Client client, byte[] fromDir, string from, byte[] toDir, string to) =>
        client.Call<Rename3Args, Rename3Res>(Nfs3Procedure.Rename, new Rename3Args { From = Nfs3Client.Where(fromDir, from), To = Nfs3Client.Where(toDir, to) }).Status;

    private static void As(Nfs3Client client, uint uid, uint gid, params uint[] groups)
    {
        client.Rpc.Uid = uid;
        client.Rpc.Gid = gid;
        client.Rpc.Gids = groups;
    }

    /// <summary>A directory made by root with <paramref name="mode"/>, owned by <paramref name="uid"/>:<paramref name="gid"/>.</summary>
    private static byte[] Directory(Nfs3Client client, byte[] parent, string name, uint mode, uint uid, uint gid)
    {
        As(client, 0, 0);
        MkDir3Res made = client.MkDir(parent, name, mode);
        Assert.Equal(Nfs3Status.Ok, made.Status);
        byte[] dh = HandleOf(made);
        Assert.Equal(Nfs3Status.Ok, Chown(client, dh, uid, gid));
        // chown clears nothing on a directory, but set the mode again to be explicit about it.
        Assert.Equal(Nfs3Status.Ok, SetAttr(client, dh, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = mode } }));
        Assert.Equal(mode, Attributes(client, dh).Mode);
        return dh;
    }

    // Sticky directories (01777, like /tmp): only the file's owner, the directory's owner or root may
    // unlink or rename an entry. Linux answers EPERM (may_delete → check_sticky), which knfsd sends as
    // NFS3ERR_PERM; ganesha does the same (ERR_FSAL_PERM). Creating in the directory stays open to all.
    [Fact]
    public void StickyDirectoryLetsOnlyOwnersRemoveOrRename()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        byte[] tmp = Directory(client, root, Unique("sticky"), Sticky | 0x1FF, 1000, 1000);
        Assert.Equal(0x3FFu, Attributes(client, tmp).Mode);

        As(client, 2001, 2001);
        Assert.Equal(Nfs3Status.Ok, client.Create(tmp, "a1", fileMode: 0x1B6).Status);
        Assert.Equal(Nfs3Status.Ok, client.Create(tmp, "a2", fileMode: 0x1B6).Status);
        Assert.Equal(Nfs3Status.Ok, client.Create(tmp, "a3", fileMode: 0x1B6).Status);

        As(client, 2002, 2002);
        Assert.Equal(Nfs3Status.Ok, client.Create(tmp, "b1").Status);
        Assert.Equal(Nfs3Status.Perm, client.Remove(tmp, "a1").Status);
        Assert.Equal(Nfs3Status.Perm, Rename(client, tmp, "a1", tmp, "stolen"));
        Assert.Equal(Nfs3Status.Perm, Rename(client, tmp, "b1", tmp, "a1")); // replacing A's file is removing it
        Assert.Equal(Nfs3Status.Ok, client.Lookup(tmp, "a1").Status);
        Assert.Equal(Nfs3Status.Ok, Rename(client, tmp, "b1", tmp, "b2")); // its own file: fine
        Assert.Equal(Nfs3Status.Ok, client.Remove(tmp, "b2").Status);

        As(client, 2001, 2001);
        Assert.Equal(Nfs3Status.Ok, client.Remove(tmp, "a1").Status); // the file's owner
        As(client, 1000, 1000);
        Assert.Equal(Nfs3Status.Ok, Rename(client, tmp, "a2", tmp, "a2-moved")); // the directory's owner
        Assert.Equal(Nfs3Status.Ok, client.Remove(tmp, "a2-moved").Status);
        As(client, 0, 0);
        Assert.Equal(Nfs3Status.Ok, client.Remove(tmp, "a3").Status); // root, not squashed on this export
        Assert.Equal(Nfs3Status.NoEnt, client.Lookup(tmp, "a3").Status);
    }

    // Without the sticky bit the same directory lets anyone with write permission remove anything.
    [Fact]
    public void WithoutTheStickyBitAnyWriterMayRemove()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        byte[] open = Directory(client, root, Unique("open"), 0x1FF, 1000, 1000);
        As(client, 2001, 2001);
        Assert.Equal(Nfs3Status.Ok, client.Create(open, "a").Status);
        As(client, 2002, 2002);
        Assert.Equal(Nfs3Status.Ok, client.Remove(open, "a").Status);
    }

    // A setgid directory (g+s): new entries take the directory's group, not the creator's; a new
    // subdirectory inherits the setgid bit too (inode_init_owner); a plain file does not get it.
    [Fact]
    public void SetgidDirectoryPassesItsGroupAndBitDown()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        byte[] shared = Directory(client, root, Unique("setgid"), SetGid | 0x1FF, 1000, 7000);

        As(client, 2001, 2001); // not in group 7000
        Create3Res file = client.Create(shared, "f", fileMode: 0x1A4);
        Assert.Equal(Nfs3Status.Ok, file.Status);
        FAttr3 fa = Attributes(client, HandleOf(file));
        Assert.Equal(2001u, fa.Uid);
        Assert.Equal(7000u, fa.Gid);
        Assert.Equal(0u, fa.Mode & SetGid);

        MkDir3Res sub = client.MkDir(shared, "sub", 0x1ED);
        Assert.Equal(Nfs3Status.Ok, sub.Status);
        FAttr3 da = Attributes(client, HandleOf(sub));
        Assert.Equal(7000u, da.Gid);
        Assert.Equal(SetGid, da.Mode & SetGid);
        Assert.Equal(0x1EDu, da.Mode & 0x1FF);

        // And one level further down, through the inherited bit.
        Create3Res deeper = client.Create(HandleOf(sub), "g");
        Assert.Equal(Nfs3Status.Ok, deeper.Status);
        Assert.Equal(7000u, Attributes(client, HandleOf(deeper)).Gid);

        // A directory without the bit: the creator's group.
        byte[] plain = Directory(client, root, Unique("nosetgid"), 0x1FF, 1000, 7000);
        As(client, 2001, 2001);
        Create3Res own = client.Create(plain, "f");
        Assert.Equal(2001u, Attributes(client, HandleOf(own)).Gid);
    }

    // RFC 2623 §2.3.2: a flavor the export does not accept is answered with AUTH_ERROR / AUTH_TOOWEAK
    // (as ganesha does), so the client knows to retry with another flavor. NULL stays open to all.
    [Fact]
    public void AuthNoneIsTooWeakWhereTheExportWantsAuthSys()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        client.Rpc.Flavor = 0;
        RpcReply ping = client.Rpc.Call(Nfs3Client.NfsProgram, 3, 0);
        Assert.True(ping.Accepted);
        Assert.Equal(0, ping.Status);
        foreach (Nfs3Procedure procedure in new[] { Nfs3Procedure.GetAttr, Nfs3Procedure.FsInfo, Nfs3Procedure.Access })
        {
            RpcReply reply = client.Rpc.Call(Nfs3Client.NfsProgram, 3, (uint)procedure, a =>
            {
                a.Opaque(root);
                if (procedure == Nfs3Procedure.Access) a.UInt32(0x3F);
            });
            Assert.False(reply.Accepted, procedure.ToString());
            Assert.Equal(1, reply.Status); // AUTH_ERROR
            Assert.Equal(5u, reply.Detail1); // AUTH_TOOWEAK
        }
        RpcReply create = client.Rpc.Call(Nfs3Client.NfsProgram, 3, (uint)Nfs3Procedure.Create, a => a.Write(new Create3Args
        {
            Where = Nfs3Client.Where(root, Unique("weak")),
            How = new CreateHow3 { Mode = CreateMode3.Unchecked, ObjAttributes = default },
        }));
        Assert.False(create.Accepted);
        Assert.Equal(5u, create.Detail1);
        // The same connection with AUTH_SYS is served.
        client.Rpc.Flavor = 1;
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
    }

    // NFSv4.1 says the same with NFS4ERR_WRONGSEC when the walk enters the export (RFC 8881 §2.6.3.1).
    [Fact]
    public void AuthNoneIsWrongSecForNfs4WhereTheExportWantsAuthSys()
    {
        using var client = new Nfs4.Nfs4TestClient(_server.NfsPort);
        client.Establish(Unique("wrongsec"));
        client.Rpc.Flavor = 0;
        Nfs4.CompoundReply reply = client.Compound(3, b =>
        {
            client.Sequence(b);
            Nfs4.Nfs4TestClient.Op(b, DittoFs.Server.Protocol.Nfs4.Nfs4Op.PutRootFh);
            Nfs4.Nfs4TestClient.Lookup(b, "export");
        });
        Assert.Equal(DittoFs.Server.Protocol.Nfs4.Nfs4Status.WrongSec, reply.Status);
    }

    // An export that allows AUTH_NONE maps it to its configured anonymous uid/gid.
    [Fact]
    public void AuthNoneWhereAllowedActsAsTheAnonymousUser()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount("/anon");
        client.Rpc.Flavor = 0;
        Create3Res made = client.Create(root, Unique("anon"));
        Assert.Equal(Nfs3Status.Ok, made.Status);
        FAttr3 a = Attributes(client, HandleOf(made));
        Assert.Equal((6001u, 6002u), (a.Uid, a.Gid));
    }

    // Root squash: uid 0 becomes the export's anonymous uid/gid (configured 5555:5556); other users
    // keep their identity; a squashed root gets no root powers (no chown, no reading 0600 files of others).
    [Fact]
    public void RootSquashMapsRootToTheConfiguredAnonymousIds()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount("/rootsquash");
        As(client, 0, 0);
        Create3Res byRoot = client.Create(root, Unique("root"));
        Assert.Equal(Nfs3Status.Ok, byRoot.Status);
        FAttr3 ra = Attributes(client, HandleOf(byRoot));
        Assert.Equal((5555u, 5556u), (ra.Uid, ra.Gid));

        As(client, 1000, 1000, 0); // group 0 in the supplementary list is squashed too
        Create3Res byUser = client.Create(root, Unique("user"), fileMode: 0x180);
        Assert.Equal(Nfs3Status.Ok, byUser.Status);
        byte[] userFile = HandleOf(byUser);
        FAttr3 ua = Attributes(client, userFile);
        Assert.Equal((1000u, 1000u), (ua.Uid, ua.Gid));
        Assert.Equal(Nfs3Status.Ok, client.Write(userFile, 0, "secret"u8.ToArray(), StableHow.FileSync).Status);

        As(client, 0, 0);
        Assert.Equal(Nfs3Status.Acces, client.Read(userFile, 0, 10).Status);
        Assert.Equal(Nfs3Status.Perm, Chown(client, userFile, 0, 0));
        Assert.Equal(Nfs3Status.Perm, SetAttr(client, root, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1ED } }));
    }

    // Owner / group / other bits decide read, write and lookup (x on a directory), one class only:
    // an owner with 0 owner bits is refused even if "other" would allow (generic_permission).
    [Fact]
    public void ModeBitsDecideReadWriteAndLookupByClass()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        byte[] dir = Directory(client, root, Unique("bits"), 0x1FF, 1000, 2000);
        As(client, 1000, 2000);
        byte[] file = client.CreateFile(dir, "f");
        Assert.Equal(Nfs3Status.Ok, client.Write(file, 0, "hello"u8.ToArray(), StableHow.FileSync).Status);

        void Check(uint mode, uint uid, uint gid, Nfs3Status read, Nfs3Status write)
        {
            As(client, 0, 0);
            Assert.Equal(Nfs3Status.Ok, SetAttr(client, file, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = mode } }));
            As(client, uid, gid);
            Assert.Equal(read, client.Read(file, 0, 5).Status);
            if (uid != 1000) Assert.Equal(write, client.Write(file, 0, "HELLO"u8.ToArray(), StableHow.FileSync).Status);
        }

        Check(0x180, 1000, 2000, Nfs3Status.Ok, Nfs3Status.Ok);         // 0600 owner
        Check(0x180, 3000, 2000, Nfs3Status.Acces, Nfs3Status.Acces);   // 0600 group member
        Check(0x1A0, 3000, 2000, Nfs3Status.Ok, Nfs3Status.Acces);      // 0640 group member reads
        Check(0x1B0, 3000, 2000, Nfs3Status.Ok, Nfs3Status.Ok);         // 0660 group member writes
        Check(0x1A0, 3000, 3000, Nfs3Status.Acces, Nfs3Status.Acces);   // 0640 other
        Check(0x1A4, 3000, 3000, Nfs3Status.Ok, Nfs3Status.Acces);      // 0644 other reads
        Check(0x007, 3000, 2000, Nfs3Status.Acces, Nfs3Status.Acces);   // 0007: the group class decides, not other
        Check(0x1B6, 3000, 3000, Nfs3Status.Ok, Nfs3Status.Ok);         // 0666 other writes

        // Lookup needs x on the directory: 0776 lets others reach nothing through it.
        As(client, 0, 0);
        Assert.Equal(Nfs3Status.Ok, SetAttr(client, dir, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1FE } })); // 0776
        As(client, 3000, 3000);
        Assert.Equal(Nfs3Status.Acces, client.Lookup(dir, "f").Status);
        Assert.Equal(Nfs3Status.Acces, client.Create(dir, "g").Status);
        As(client, 3000, 2000);
        Assert.Equal(Nfs3Status.Ok, client.Lookup(dir, "f").Status); // group has rwx
        As(client, 0, 0);
        Assert.Equal(Nfs3Status.Ok, SetAttr(client, dir, new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1ED } }));
        As(client, 3000, 3000);
        Assert.Equal(Nfs3Status.Ok, client.Lookup(dir, "f").Status);
        Assert.Equal(Nfs3Status.Acces, client.Create(dir, "g").Status); // no w for others
    }

    // ---- path safety ----

    // A handle is bound to its export's volume: a handle of /export with the volume of /ro (or the
    // other way round) names nothing there; it never answers with the other export's file.
    [Fact]
    public void HandleForgedAcrossExportsIsStale()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        byte[] roRoot = client.Mount("/ro");
        uint roVolume = BinaryPrimitives.ReadUInt32BigEndian(roRoot.AsSpan(4));
        uint volume = BinaryPrimitives.ReadUInt32BigEndian(root.AsSpan(4));
        Assert.NotEqual(volume, roVolume);

        byte[] file = client.CreateFile(root, Unique("mine"));
        Assert.Equal(Nfs3Status.Ok, client.Write(file, 0, "private"u8.ToArray(), StableHow.FileSync).Status);
        byte[] moved = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(moved.AsSpan(4), roVolume);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(moved).Status);
        Assert.Equal(Nfs3Status.Stale, client.Read(moved, 0, 100).Status);
        Assert.Equal(Nfs3Status.Stale, client.Lookup(moved, "x").Status);

        byte[] roMoved = (byte[])roRoot.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(roMoved.AsSpan(4), volume);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(roMoved).Status);
        Assert.Equal(Nfs3Status.Stale, client.Create(roMoved, "sneaky").Status);

        Assert.Equal(Nfs3Status.Ok, client.GetAttr(file).Status);
    }

    // ".." of every export root is the root itself; "." too.
    [Fact]
    public void DotDotAtEveryExportRootIsThatRoot()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        foreach (string path in new[] { "/export", "/ro", "/rootsquash" })
        {
            byte[] root = client.Mount(path);
            Lookup3Res up = client.Lookup(root, "..");
            Assert.Equal(Nfs3Status.Ok, up.Status);
            Assert.Equal(root, up.ResOk.Object.Data.ToArray());
            Lookup3Res upUp = client.Lookup(up.ResOk.Object.Data.ToArray(), "..");
            Assert.Equal(root, upUp.ResOk.Object.Data.ToArray());
            Assert.Equal(root, client.Lookup(root, ".").ResOk.Object.Data.ToArray());
        }
    }

    // Symlink targets are text: stored and returned verbatim, never resolved by the server. Data
    // operations on a symlink handle are INVAL (knfsd: nfsd_open of a non-regular file), LOOKUP
    // through it is NOTDIR.
    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../..")]
    [InlineData("../../../../../../etc/shadow")]
    [InlineData("data/metadata")]
    public void SymlinkTargetsAreTextTheServerNeverFollows(string target)
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        string name = Unique("link");
        Symlink3Res made = client.Call<Symlink3Args, Symlink3Res>(Nfs3Procedure.Symlink, new Symlink3Args
        {
            Where = Nfs3Client.Where(root, name),
            Symlink = new SymlinkData3 { SymlinkAttributes = default, SymlinkData = Encoding.UTF8.GetBytes(target) },
        });
        Assert.Equal(Nfs3Status.Ok, made.Status);
        byte[] link = made.ResOk.Obj.Handle!.Value.Data.ToArray();

        ReadLink3Res read = client.Call<ReadLink3Args, ReadLink3Res>(Nfs3Procedure.ReadLink, new ReadLink3Args { Symlink = Nfs3Client.Fh(link) });
        Assert.Equal(Nfs3Status.Ok, read.Status);
        Assert.Equal(target, Encoding.UTF8.GetString(read.ResOk.Data.Span));
        FAttr3 attrs = Attributes(client, link);
        Assert.Equal(Ftype3.Lnk, attrs.Type);
        Assert.Equal((ulong)Encoding.UTF8.GetByteCount(target), attrs.Size);

        Assert.Equal(Nfs3Status.Inval, client.Read(link, 0, 4096).Status);
        Assert.Equal(Nfs3Status.Inval, client.Write(link, 0, "x"u8.ToArray()).Status);
        Assert.Equal(Nfs3Status.NotDir, client.Lookup(link, "passwd").Status);
        Assert.Equal(Nfs3Status.NotDir, client.Lookup(link, "..").Status);
        // LOOKUP of the link's name gives the link itself, not what it points to.
        Lookup3Res found = client.Lookup(root, name);
        Assert.Equal(link, found.ResOk.Object.Data.ToArray());
        Assert.Equal(Ftype3.Lnk, found.ResOk.ObjAttributes.Attributes!.Value.Type);
    }

    // Handles of the right shape but the wrong length, or random bytes, are BADHANDLE.
    [Fact]
    public void HandlesOfTheWrongLengthOrRandomBytesAreBadHandle()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        var random = new Random(8);
        var bad = new List<byte[]> { Array.Empty<byte>(), root[..19], root.Append((byte)0).ToArray(), root.Concat(root).ToArray() };
        for (int i = 0; i < 20; i++)
        {
            byte[] b = new byte[random.Next(1, 65)];
            random.NextBytes(b);
            if (b.Length == root.Length) b[0] = (byte)'X';
            bad.Add(b);
        }
        byte[] badVersion = (byte[])root.Clone();
        badVersion[2] = 9;
        bad.Add(badVersion);
        foreach (byte[] handle in bad)
        {
            Assert.Equal(Nfs3Status.BadHandle, client.GetAttr(handle).Status);
            Assert.Equal(Nfs3Status.BadHandle, client.Lookup(handle, "x").Status);
            Assert.Equal(Nfs3Status.BadHandle, client.Read(handle, 0, 10).Status);
        }
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
    }

    // A removed file's handle, and the same inode under any other generation, are STALE: a name
    // recreated afterwards is a new file with its own handle.
    [Fact]
    public void OldGenerationOfAnInodeIsStale()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] root = client.Mount();
        string name = Unique("gen");
        byte[] first = client.CreateFile(root, name);
        Assert.Equal(Nfs3Status.Ok, client.Remove(root, name).Status);
        byte[] second = client.CreateFile(root, name);
        Assert.NotEqual(first, second);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(first).Status);
        Assert.Equal(Nfs3Status.Stale, client.Write(first, 0, "x"u8.ToArray()).Status);
        byte[] otherGeneration = (byte[])second.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(otherGeneration.AsSpan(16), BinaryPrimitives.ReadUInt32BigEndian(second.AsSpan(16)) + 1);
        Assert.Equal(Nfs3Status.Stale, client.GetAttr(otherGeneration).Status);
        Assert.Equal(Nfs3Status.Ok, client.GetAttr(second).Status);
    }

    // The server's own files (metadata, blocks, cache) are not in any export: no name reaches them
    // and a fresh export lists nothing.
    [Fact]
    public void TheDataDirectoryIsNotReachable()
    {
        using var client = new Nfs3Client(_server.NfsPort);
        byte[] roRoot = client.Mount("/ro");
        foreach (string name in new[] { "data", "metadata", "meta", "blocks", "cache", "payload", "faster", "export", "ro", "..." })
        {
            Assert.Equal(Nfs3Status.NoEnt, client.Lookup(roRoot, name).Status);
        }
        ReadDir3Res list = client.Call<ReadDir3Args, ReadDir3Res>(Nfs3Procedure.ReadDir, new ReadDir3Args { Dir = Nfs3Client.Fh(roRoot), Count = 8192 });
        Assert.Equal(Nfs3Status.Ok, list.Status);
        var names = new List<string>();
        for (Entry3? e = list.ResOk.Reply.Entries; e is not null; e = e.Next) names.Add(Encoding.UTF8.GetString(e.Name.Span));
        Assert.DoesNotContain(names, n => n is not "." and not "..");
        // Mount paths are export names, not server paths.
        foreach (string path in new[] { "/", "/data", _server.DataDirectory, Path.Combine(_server.DataDirectory, "data"), "/export/../ro", "/etc" })
        {
            using var rpc = new RpcClient(_server.NfsPort);
            var res = rpc.Call(Nfs3Client.MountProgram, 3, 1, a => a.String(path)).Decode<DittoFs.Server.Protocol.Mount.MountRes3>();
            Assert.NotEqual(DittoFs.Server.Protocol.Mount.MountStatus.Ok, res.Status);
        }
    }
}
