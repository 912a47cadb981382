using System.Globalization;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Cache;

// Start-up: keep the block files the block map says are dirty (they are uploaded first), delete the rest.
internal sealed partial class BlockCache
{
    /// <summary>Number of dirty blocks found at the last start-up.</summary>
    public int RecoveredBlocks { get; private set; }

    /// <summary>Block records moved from a pre-metadata block-map journal at this start-up.</summary>
    public int MigratedRecords { get; private set; }

    /// <summary>
    /// The block map lives in the metadata store, so the cache directory may be empty or gone:
    /// files the map does not name dirty are dropped (clean copies may hold unsynced writes made
    /// after their upload, and are refetched on demand); a dirty record whose file is gone reads
    /// as lost, never as zeros or as the older object.
    /// </summary>
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
        MigrateLegacyJournal();
        // Committed small blocks whose files a crash may have lost come back first.
        if (_options.DataJournalBytes > 0)
        {
            _dataJournal = DataJournal.Open(Path.Combine(Path.GetDirectoryName(_blocksDirectory)!, "data.journal"), _blocksDirectory, this, _options.DataJournalBytes);
        }

        var local = new List<(ulong Inode, ulong Block, BlockRecord Record, long Length)>();
        foreach (string dir in Directory.EnumerateDirectories(_blocksDirectory))
        {
            foreach (string path in Directory.EnumerateFiles(dir))
            {
                string name = Path.GetFileName(path);
                int dot = name.IndexOf('.');
                if (dot == 16
                    && ulong.TryParse(name.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong inode)
                    && ulong.TryParse(name.AsSpan(17), NumberStyles.None, CultureInfo.InvariantCulture, out ulong block)
                    && _map.Get(inode, block) is { Dirty: true } record)
                {
                    local.Add((inode, block, record, new FileInfo(path).Length));
                    continue;
                }
                File.Delete(path);
            }
        }

        lock (_lock)
        {
            foreach ((ulong inode, ulong block, BlockRecord record, long fileLength) in local)
            {
                BlockState st = AddLocked(inode, block, record);
                st.Lost = false;
                st.Local = true;
                st.Dirty = true;
                st.DirtyJournaled = true;
                st.UploadNow = true;
                _dirty.Add(st);
                _localBlocks++;
                st.Charged = Charge(fileLength);
                st.Extent = (int)Math.Min(fileLength, BlockSize);
                _localBytes += st.Charged;
            }
            RecoveredBlocks = _dirty.Count;
            _metrics?.CacheSizeChanged(_localBytes);
            DirtyChangedLocked(_dirty.Count, _localBytes); // every recovered block is dirty
        }
        IdRange lease = _map.LeaseVersionsAsync().AsTask().GetAwaiter().GetResult();
        if (lease.Count > 0)
        {
            // A store other servers share: ids come from its leases, and an object no record names may be
            // another server's upload in flight, so no sweep by id (BootVersion 0: nothing is below it).
            _sharedIds = true;
            _leaseNext = lease.First;
            _leaseEnd = lease.First + lease.Count;
            BootVersion = 0;
            return;
        }
        // Versions only grow, across restarts and clock steps: never reuse one the map has named.
        BootVersion = Math.Max((ulong)DateTime.UtcNow.Ticks, _map.MaxVersion + 1);
        _nextVersion = (long)BootVersion - 1;
    }

    /// <summary>
    /// A cache directory from before the block map moved into the metadata store keeps its map in
    /// <c>blockmap.journal</c>: its last state per block is applied to the metadata store (durably)
    /// and the journal renamed, so the move happens once and nothing it knew is lost.
    /// </summary>
    private void MigrateLegacyJournal()
    {
        if (!File.Exists(_legacyJournalPath)) return;
        var last = new Dictionary<(ulong Inode, ulong Block), LegacyBlockJournal.Record>();
        foreach (LegacyBlockJournal.Record r in LegacyBlockJournal.Load(_legacyJournalPath))
        {
            if (r.Kind == LegacyBlockJournal.Kind.State)
            {
                last[(r.Inode, r.Block)] = r;
            }
            else
            {
                foreach (var key in last.Keys.Where(k => k.Inode == r.Inode && k.Block >= r.Block).ToList()) last.Remove(key);
            }
        }
        var ops = last
            .Where(kv => kv.Value.Version != 0 || kv.Value.Dirty)
            .Select(kv => MetadataOp.PutBlock(kv.Key.Inode, kv.Key.Block, new BlockRecord(kv.Value.Version, kv.Value.Crc, kv.Value.Length, kv.Value.Dirty)))
            .ToList();
        long position = 0;
        foreach (MetadataOp[] batch in ops.Chunk(1000)) position = _map.Apply(batch);
        _map.WaitDurableAsync(position).AsTask().GetAwaiter().GetResult();
        File.Move(_legacyJournalPath, _legacyJournalPath + ".migrated", overwrite: true);
        MigratedRecords = ops.Count;
    }
}
