using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;
using Xunit;

namespace DittoFs.Storage.Tests.Shipping;

/// <summary>
/// Random namespace changes applied to a store as the filesystem would (create, mkdir, symlink,
/// setattr, rename, remove), with a model of what should exist, and a check of a store against it.
/// </summary>
internal sealed class MetadataWorkload(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Dictionary<ulong, InodeRecord> _inodes = [];
    private readonly Dictionary<ulong, byte[]> _symlinks = [];
    private readonly Dictionary<ulong, Dictionary<string, (ulong Inode, ulong Cookie)>> _dirs = [];
    private ulong _root;

    public long LastPosition { get; private set; }

    public int Inodes => _inodes.Count;

    public async Task InitAsync(FasterMetadataStore store)
    {
        _root = store.AllocateInode();
        var root = Dir(_root, _root);
        _inodes[_root] = root;
        _dirs[_root] = [];
        LastPosition = await store.ApplyAsync([MetadataOp.PutInode(root), MetadataOp.PutVolume("vol"u8.ToArray(), 1, _root)]);
    }

    /// <summary>One random change (one batch).</summary>
    public async Task StepAsync(FasterMetadataStore store)
    {
        var dirs = _dirs.Keys.ToArray();
        ulong dir = dirs[_random.Next(dirs.Length)];
        var entries = _dirs[dir];
        int roll = _random.Next(100);
        MetadataOp[] ops;
        if (roll < 40 || entries.Count == 0)
        {
            ulong inode = store.AllocateInode();
            var kind = _random.Next(10);
            var record = kind < 7 ? File(inode) : kind < 9 ? Dir(inode, dir) : File(inode) with { Type = FileType.Symlink };
            var list = new List<MetadataOp> { MetadataOp.PutInode(record) };
            if (kind == 9)
            {
                byte[] target = Encoding.UTF8.GetBytes("target-" + _random.Next());
                _symlinks[inode] = target;
                list.Add(MetadataOp.PutSymlink(inode, target));
            }
            if (kind is 7 or 8) _dirs[inode] = [];
            list.AddRange(Link(dir, "n" + _random.Next(1_000_000), inode));
            _inodes[inode] = record;
            ops = [.. list];
        }
        else
        {
            var names = entries.Keys.ToArray();
            string name = names[_random.Next(names.Length)];
            var (inode, cookie) = entries[name];
            if (roll < 60)
            {
                var record = _inodes[inode];
                record.Size = (ulong)_random.Next(1 << 30);
                record.MtimeSeconds = _random.Next();
                record.ChangeId++;
                _inodes[inode] = record;
                ops = [MetadataOp.PutInode(record)];
            }
            else if (roll < 75)
            {
                // Rename within the directory (a new cookie, as the filesystem does).
                entries.Remove(name);
                var d = Bump(dir, -1);
                ops = [MetadataOp.DeleteEntry(dir, Encoding.UTF8.GetBytes(name), cookie), MetadataOp.PutInode(d), .. Link(dir, name + "r", inode)];
            }
            else
            {
                if (_dirs.TryGetValue(inode, out var children) && children.Count > 0) return; // not empty: skip
                entries.Remove(name);
                _inodes.Remove(inode);
                _symlinks.Remove(inode);
                _dirs.Remove(inode);
                ops = [MetadataOp.DeleteEntry(dir, Encoding.UTF8.GetBytes(name), cookie), MetadataOp.DeleteInode(inode), MetadataOp.PutInode(Bump(dir, -1))];
            }
        }
        LastPosition = await store.ApplyAsync(ops);
    }

    private MetadataOp[] Link(ulong dir, string name, ulong inode)
    {
        var entries = _dirs[dir];
        if (entries.ContainsKey(name)) name += "x" + _random.Next();
        var d = _inodes[dir];
        ulong cookie = d.NextCookie;
        d.NextCookie++;
        _inodes[dir] = d;
        d = Bump(dir, +1);
        entries[name] = (inode, cookie);
        return [MetadataOp.PutEntry(dir, Encoding.UTF8.GetBytes(name), inode, cookie), MetadataOp.PutInode(d)];
    }

    private InodeRecord Bump(ulong dir, int delta)
    {
        var d = _inodes[dir];
        d.EntryCount = (ulong)((long)d.EntryCount + delta);
        d.ChangeId++;
        _inodes[dir] = d;
        return d;
    }

    /// <summary>Every inode, entry, symlink and listing of the model reads back the same from <paramref name="store"/>.</summary>
    public async Task AssertMatchesAsync(FasterMetadataStore store)
    {
        foreach (var (inode, record) in _inodes)
        {
            var got = await store.GetInodeAsync(inode);
            Assert.True(got.HasValue, $"inode {inode} missing");
            Assert.Equal(record, got.Value);
        }
        foreach (var (inode, target) in _symlinks) Assert.Equal(target, await store.GetSymlinkAsync(inode));
        foreach (var (dir, entries) in _dirs)
        {
            foreach (var (name, (inode, cookie)) in entries)
                Assert.Equal(new EntryRecord(inode, cookie), await store.GetEntryAsync(dir, Encoding.UTF8.GetBytes(name)));
            var listed = new List<DirEntryRecord>();
            ulong after = 0;
            while (true)
            {
                var page = await store.ListEntriesAsync(dir, after, 50);
                if (page.Count == 0) break;
                listed.AddRange(page);
                after = page[^1].Cookie;
            }
            Assert.Equal(
                entries.OrderBy(e => e.Value.Cookie).Select(e => (e.Value.Cookie, e.Key, e.Value.Inode)),
                listed.Select(e => (e.Cookie, Encoding.UTF8.GetString(e.Name), e.Inode)));
        }
        Assert.Equal(new VolumeRecord(1, _root), await store.GetVolumeAsync("vol"u8.ToArray()));
        ulong max = _inodes.Keys.Max();
        Assert.True(store.AllocateInode() > max);
    }

    private static InodeRecord File(ulong inode) => new()
    {
        Inode = inode, Type = FileType.Regular, Mode = 0x1A4, LinkCount = 1, Generation = 7, Uid = 1000, Gid = 100,
    };

    private static InodeRecord Dir(ulong inode, ulong parent) => new()
    {
        Inode = inode, Type = FileType.Directory, Mode = 0x1ED, LinkCount = 2, Parent = parent, NextCookie = InodeRecord.FirstCookie,
    };
}
