using System.Text;
using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Diagnostics;

/// <summary>Where a check is: phase 1 walks the namespace, phase 2 verifies each file's blocks.</summary>
public readonly record struct CheckProgress(string Phase, long Done, long Total);

/// <summary>One problem found; <see cref="Damage"/> ones make the check fail.</summary>
public sealed record CheckFinding(bool Damage, string Path, string Message);

public sealed record CheckReport(long Directories, long Files, long Blocks, IReadOnlyList<CheckFinding> Findings)
{
    public bool Damaged => Findings.Any(f => f.Damage);
}

/// <summary>
/// Walks the metadata of the given volumes from their roots and verifies that
/// every entry names an inode that exists, and that every block of every
/// regular file (indexes 0 to ceil(size / block size) - 1) is in the payload
/// store. Damage: a dangling entry, a missing volume root, a missing block.
/// Noted but not damage: blocks past the end of a file (garbage).
/// A block never written (a hole of a sparse file) and a lost block look the
/// same to a store without a block map: both are reported missing.
/// Run it on a store nobody else changes (the server stopped).
/// </summary>
public sealed class StoreChecker(IMetadataStore metadata, IBlockInventory blocks, int blockSize)
{
    private const int PageEntries = 512;

    public async Task<CheckReport> RunAsync(IEnumerable<string> volumes, IProgress<CheckProgress>? progress, CancellationToken cancellationToken)
    {
        var findings = new List<CheckFinding>();
        var files = new List<(string Path, InodeRecord Inode)>();
        var seen = new HashSet<ulong>();
        long directories = 0;

        // Phase 1: the namespace, breadth first from each volume root.
        foreach (string volume in volumes)
        {
            VolumeRecord? record = await metadata.GetVolumeAsync(Encoding.UTF8.GetBytes(volume)).ConfigureAwait(false);
            if (record is not { } v)
            {
                findings.Add(new CheckFinding(false, volume, "volume not created yet (never exported)"));
                continue;
            }
            var pending = new Queue<(string Path, ulong Inode)>();
            pending.Enqueue((volume, v.RootInode));
            seen.Add(v.RootInode);
            if (await metadata.GetInodeAsync(v.RootInode).ConfigureAwait(false) is null)
            {
                findings.Add(new CheckFinding(true, volume, $"volume root inode {v.RootInode} is missing"));
                continue;
            }
            while (pending.TryDequeue(out var dir))
            {
                cancellationToken.ThrowIfCancellationRequested();
                directories++;
                ulong cookie = 0;
                while (true)
                {
                    IReadOnlyList<DirEntryRecord> page = await metadata.ListEntriesAsync(dir.Inode, cookie, PageEntries).ConfigureAwait(false);
                    foreach (DirEntryRecord entry in page)
                    {
                        string path = dir.Path.TrimEnd('/') + "/" + Encoding.UTF8.GetString(entry.Name);
                        InodeRecord? child = await metadata.GetInodeAsync(entry.Inode).ConfigureAwait(false);
                        if (child is not { } inode)
                        {
                            findings.Add(new CheckFinding(true, path, $"entry names inode {entry.Inode}, which does not exist"));
                            continue;
                        }
                        if (!seen.Add(entry.Inode)) continue; // another hard link to a file already listed
                        if (inode.Type == FileType.Directory) pending.Enqueue((path, entry.Inode));
                        else if (inode.Type == FileType.Regular) files.Add((path, inode));
                    }
                    if (page.Count < PageEntries) break;
                    cookie = page[^1].Cookie;
                }
                progress?.Report(new CheckProgress("metadata", directories + files.Count, 0));
            }
        }

        // Phase 2: the blocks of every regular file.
        long blockCount = 0;
        for (int i = 0; i < files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (path, inode) = files[i];
            ulong expected = (inode.Size + (ulong)blockSize - 1) / (ulong)blockSize;
            var present = new HashSet<ulong>(await blocks.ListBlocksAsync(inode.Inode, cancellationToken).ConfigureAwait(false));
            blockCount += present.Count;
            for (ulong b = 0; b < expected; b++)
            {
                if (!present.Contains(b)) findings.Add(new CheckFinding(true, path, $"block {b} is missing ({blocks.DescribeBlock(inode.Inode, b)})"));
            }
            foreach (ulong b in present.Where(b => b >= expected).Order())
            {
                findings.Add(new CheckFinding(false, path, $"block {b} lies past the end of the file ({inode.Size} bytes): garbage"));
            }
            progress?.Report(new CheckProgress("blocks", i + 1, files.Count));
        }
        return new CheckReport(directories, files.Count, blockCount, findings);
    }
}
