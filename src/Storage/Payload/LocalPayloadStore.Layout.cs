using System.Globalization;

namespace DittoFs.Storage.Payload;

// Where a block's file lives.
public sealed partial class LocalPayloadStore
{
    /// <summary>
    /// <c>&lt;root&gt;/layout</c>: "2" when block 0 of each file is a flat file next to the inode
    /// directories, <c>&lt;byte 2&gt;/&lt;byte 1&gt;/&lt;inode hex&gt;.0</c>, so a one-block file costs
    /// one inode on disk and no mkdir (mkdirs were a third of the server's CPU creating small files:
    /// ext4 allocates directory inodes the slow way). Blocks 1 and up stay in
    /// <c>&lt;inode hex&gt;/&lt;block&gt;</c>. A store made before the marker (layout 1) keeps every
    /// block in the inode directory, under <c>&lt;byte 0&gt;/&lt;byte 1&gt;</c>.
    /// </summary>
    private const string LayoutFileName = "layout";

    private readonly bool _flatFirstBlock;

    /// <summary>Layout 2 for an empty root (the marker is made durable before any block exists), else what the marker says (none: 1).</summary>
    private static bool ReadOrChooseLayout(string root)
    {
        string marker = Path.Combine(root, LayoutFileName);
        if (File.Exists(marker))
        {
            string text = File.ReadAllText(marker).Trim();
            return text switch
            {
                "1" => false,
                "2" => true,
                _ => throw new StorageRefusedException($"{marker} names block layout '{text}', which this version does not know"),
            };
        }
        string temporary = marker + ".tmp";
        // Anything else there (a block, the data journal) is a store from before the marker. A root
        // that is a mount point has lost+found; a crash may have left the temporary marker.
        if (Directory.EnumerateFileSystemEntries(root).Any(e => Path.GetFileName(e) is not ("lost+found" or LayoutFileName + ".tmp"))) return false;
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write("2\n"u8);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, marker, overwrite: true);
        FileSync.Directory(root);
        return true;
    }

    internal string InodeDirectory(ulong inode) => Path.Combine(FanOutDirectory(inode), inode.ToString("x16", CultureInfo.InvariantCulture));

    /// <summary>
    /// Layout 2 fans out by the inode number's second and third bytes, so 256 consecutive inodes
    /// share a directory (10,000 new files make 40 directories, not 10,000). Layout 1 used the low
    /// two bytes: every new file under 65,536 got a directory of its own.
    /// </summary>
    private string FanOutDirectory(ulong inode) => _flatFirstBlock
        ? Path.Combine(_root, (inode >> 16 & 0xFF).ToString("x2", CultureInfo.InvariantCulture), (inode >> 8 & 0xFF).ToString("x2", CultureInfo.InvariantCulture))
        : Path.Combine(_root, (inode & 0xFF).ToString("x2", CultureInfo.InvariantCulture), (inode >> 8 & 0xFF).ToString("x2", CultureInfo.InvariantCulture));

    /// <summary>True when this block's file sits in the fan-out directory rather than the inode directory.</summary>
    private bool IsFlat(ulong block) => block == 0 && _flatFirstBlock;

    private string FlatFirstBlockPath(ulong inode) =>
        Path.Combine(FanOutDirectory(inode), string.Create(CultureInfo.InvariantCulture, $"{inode:x16}.0"));

    string DataJournal.ITarget.BlockPath(ulong inode, ulong block) => BlockPath(inode, block);

    private string BlockPath(ulong inode, ulong block) => IsFlat(block)
        ? FlatFirstBlockPath(inode)
        : Path.Combine(InodeDirectory(inode), block.ToString(CultureInfo.InvariantCulture));

    /// <summary>Creates the directories the block's file goes in, recording each parent that gained an entry.</summary>
    private void EnsureDirectories(ulong inode, ulong block)
    {
        string inodeDir = InodeDirectory(inode);
        string level2 = Path.GetDirectoryName(inodeDir)!;
        string level1 = Path.GetDirectoryName(level2)!;
        ReadOnlySpan<string> chain = IsFlat(block) ? [level1, level2] : [level1, level2, inodeDir];
        foreach (string dir in chain)
        {
            if (Directory.Exists(dir)) continue;
            Directory.CreateDirectory(dir);
            MarkDirty(inode, null, Path.GetDirectoryName(dir)!);
        }
    }

    /// <summary>Block numbers with a file (empty ones included), block 0's flat file among them.</summary>
    private List<(ulong Block, string Path)> BlockFiles(ulong inode)
    {
        var files = new List<(ulong, string)>();
        if (_flatFirstBlock)
        {
            string flat = FlatFirstBlockPath(inode);
            if (File.Exists(flat)) files.Add((0, flat));
        }
        string dir = InodeDirectory(inode);
        if (Directory.Exists(dir))
        {
            foreach (string path in Directory.EnumerateFiles(dir))
            {
                if (ulong.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out ulong block) && !IsFlat(block)) files.Add((block, path));
            }
        }
        return files;
    }
}
