using System.Text;
using DittoFs.Server.Exports;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4;

/// <summary>
/// The NFSv4 pseudo-filesystem (RFC 8881 §7.3): a synthetic read-only tree
/// whose leaves are the exports. Export "/export" is LOOKUP "export" from
/// PUTROOTFH. Pseudo directories have volume 0 in their handle (export volumes
/// start at 1) and their own fsid (0, 0); crossing into an export changes fsid,
/// and the export root's mounted_on_fileid is the entry's fileid here.
/// An export at "/" is the root itself.
/// <para>
/// Built for one <see cref="ExportTable"/>; when exports change at run time a new tree is built from the
/// previous one: a directory keeps its inode (handles a client holds stay valid), a directory no export
/// needs any more stays findable but empty and unlinked (a compound that holds it fails cleanly), new
/// directories get new inodes. An export's entry fileid comes from its volume, so it never changes either.
/// </para>
/// </summary>
internal sealed class PseudoFs
{
    public const uint Volume = 0;

    internal sealed class Node
    {
        public required ulong Inode;
        public required ulong Parent;
        public required string Path;
        public readonly List<Child> Children = [];
    }

    internal sealed record Child(byte[] Name, ulong FileId, Node? Directory, Export? Export);

    private const ulong EntryIdBase = 1_000_000;
    private readonly List<Node> _nodes = [];
    private readonly Timestamp _created;

    public PseudoFs(IEnumerable<Export> exports, PseudoFs? previous)
    {
        _created = previous?._created ?? Timestamp.Now();
        var byPath = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (Node old in previous?._nodes ?? [])
        {
            var kept = new Node { Inode = old.Inode, Parent = old.Parent, Path = old.Path };
            _nodes.Add(kept);
            byPath[old.Path] = kept;
        }
        if (_nodes.Count == 0)
        {
            _nodes.Add(new Node { Inode = 1, Parent = 1, Path = "" });
            byPath[""] = _nodes[0];
        }
        Node root = _nodes[0];
        foreach (Export export in exports.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            if (export.Path == "/")
            {
                RootExport = export;
                continue;
            }
            string[] parts = export.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            Node node = root;
            bool blocked = false;
            for (int i = 0; i < parts.Length - 1 && !blocked; i++)
            {
                byte[] name = Encoding.UTF8.GetBytes(parts[i]);
                Child? child = node.Children.Find(c => c.Name.AsSpan().SequenceEqual(name));
                if (child is { Export: not null }) blocked = true; // inside another export: reached through it
                else if (child is { Directory: { } dir }) node = dir;
                else
                {
                    string path = node.Path + "/" + parts[i];
                    if (!byPath.TryGetValue(path, out Node? created))
                    {
                        created = new Node { Inode = (ulong)_nodes.Count + 1, Parent = node.Inode, Path = path };
                        _nodes.Add(created);
                        byPath[path] = created;
                    }
                    node.Children.Add(new Child(name, created.Inode, created, null));
                    node = created;
                }
            }
            if (blocked) continue;
            byte[] leaf = Encoding.UTF8.GetBytes(parts[^1]);
            if (node.Children.Exists(c => c.Name.AsSpan().SequenceEqual(leaf))) continue;
            node.Children.Add(new Child(leaf, EntryIdBase + export.Volume, null, export));
        }
    }

    /// <summary>The exports this tree was built for (rebuilt when the served table is another).</summary>
    public ExportTable? Table { get; init; }

    /// <summary>An export at "/": PUTROOTFH lands in it, there is no pseudo tree.</summary>
    public Export? RootExport { get; }

    public FileId RootId => new(Volume, 1, 0);

    public Node? Find(ulong inode) => inode >= 1 && inode <= (ulong)_nodes.Count ? _nodes[(int)inode - 1] : null;

    public Child? Lookup(Node node, ReadOnlySpan<byte> name)
    {
        foreach (Child c in node.Children)
        {
            if (c.Name.AsSpan().SequenceEqual(name)) return c;
        }
        return null;
    }

    /// <summary>The pseudo entry an export is mounted on (for LOOKUPP from its root and mounted_on_fileid).</summary>
    public (Node Parent, Child Entry)? MountPoint(Export export)
    {
        foreach (Node n in _nodes)
        {
            foreach (Child c in n.Children)
            {
                if (c.Export?.Volume == export.Volume) return (n, c); // by volume: an updated export is a new object
            }
        }
        return null;
    }

    public FileAttributes Attributes(Node node) => new()
    {
        Id = new FileId(Volume, node.Inode, 0),
        Type = FileType.Directory,
        Mode = 0x16D, // 0555
        LinkCount = 2,
        Uid = 0,
        Gid = 0,
        Size = 4096,
        SpaceUsed = 4096,
        AccessTime = _created,
        ModifyTime = _created,
        ChangeTime = _created,
        BirthTime = _created,
        ChangeId = 1,
        ParentInode = node.Parent,
    };
}
