using System.Globalization;
using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Cache;

// Start-up: replay the block map, keep the block files it says are dirty (they are uploaded first), delete the rest.
internal sealed partial class BlockCache
{
    /// <summary>Number of dirty blocks found at the last start-up.</summary>
    public int RecoveredBlocks { get; private set; }

    public void Recover()
    {
        Directory.CreateDirectory(_blocksDirectory);
        bool created = false;
        for (int i = 0; i < FanOut; i++)
        {
            string dir = Path.Combine(_blocksDirectory, i.ToString("x2", CultureInfo.InvariantCulture));
            if (Directory.Exists(dir)) continue;
            Directory.CreateDirectory(dir);
            created = true;
        }
        if (created) FileSync.Directory(_blocksDirectory);
        // Committed small blocks whose files a crash may have lost come back first.
        if (_options.DataJournalBytes > 0)
        {
            _dataJournal = DataJournal.Open(Path.Combine(Path.GetDirectoryName(_blocksDirectory)!, "data.journal"), _blocksDirectory, this, _options.DataJournalBytes);
        }

        var byInode = new Dictionary<ulong, Dictionary<ulong, BlockJournal.Record>>();
        ulong maxVersion = 0;
        foreach (BlockJournal.Record r in BlockJournal.Load(_journalPath))
        {
            maxVersion = Math.Max(maxVersion, r.Version);
            if (r.Kind == BlockJournal.Kind.State)
            {
                if (!byInode.TryGetValue(r.Inode, out Dictionary<ulong, BlockJournal.Record>? blocks)) byInode[r.Inode] = blocks = [];
                blocks[r.Block] = r;
            }
            else if (byInode.TryGetValue(r.Inode, out Dictionary<ulong, BlockJournal.Record>? blocks))
            {
                if (r.Block == 0) byInode.Remove(r.Inode);
                else foreach (ulong block in blocks.Keys.Where(b => b >= r.Block).ToList()) blocks.Remove(block);
            }
        }
        var map = new Dictionary<(ulong Inode, ulong Block), BlockJournal.Record>();
        foreach (var (inode, blocks) in byInode)
        {
            foreach (var (block, r) in blocks) map[(inode, block)] = r;
        }

        var local = new Dictionary<(ulong, ulong), long>(); // block → file length
        foreach (string dir in Directory.EnumerateDirectories(_blocksDirectory))
        {
            foreach (string path in Directory.EnumerateFiles(dir))
            {
                string name = Path.GetFileName(path);
                int dot = name.IndexOf('.');
                bool keep = dot == 16
                    && ulong.TryParse(name.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong inode)
                    && ulong.TryParse(name.AsSpan(17), NumberStyles.None, CultureInfo.InvariantCulture, out ulong block)
                    && map.TryGetValue((inode, block), out BlockJournal.Record r) && r.Dirty
                    && local.TryAdd((inode, block), new FileInfo(path).Length);
                // Clean copies may hold unsynced, uncommitted writes made after their upload: drop them, refetch on demand.
                if (!keep) File.Delete(path);
            }
        }

        lock (_lock)
        {
            foreach (var ((inode, block), r) in map)
            {
                bool isLocal = local.TryGetValue((inode, block), out long fileLength);
                if (!isLocal && r.Version == 0) continue; // dirty record whose file never reached the disk: uncommitted
                BlockState st = GetOrAddLocked(inode, block);
                st.Version = r.Version;
                st.Crc = r.Crc;
                st.Length = r.Length;
                if (isLocal)
                {
                    st.Local = true;
                    st.Dirty = true;
                    st.DirtyJournaled = true;
                    st.Recovered = true;
                    _dirty.Add(st);
                    _localBlocks++;
                    st.Charged = Charge(fileLength);
                    _localBytes += st.Charged;
                }
            }
            RecoveredBlocks = _dirty.Count;
            _metrics?.CacheSizeChanged(_localBytes);
            DirtyChangedLocked(_dirty.Count, _localBytes); // every recovered block is dirty
            _journal = new BlockJournal(_journalPath, Snapshot());
        }
        BootVersion = Math.Max((ulong)DateTime.UtcNow.Ticks, maxVersion + 1);
        _nextVersion = (long)BootVersion - 1;
    }

    private IEnumerable<BlockJournal.Record> Snapshot()
    {
        foreach (Dictionary<ulong, BlockState> blocks in _inodes.Values)
        {
            foreach (BlockState st in blocks.Values) yield return StateRecord(st, st.Dirty && st.DirtyJournaled);
        }
    }
}
