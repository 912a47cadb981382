using System.Buffers;
using System.Globalization;
using DittoFs.Storage.Diagnostics;
using DittoFs.Storage.Flush;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Payload.S3;
using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Cache;

/// <summary>
/// Fixed-size blocks of files in a disk tier (<c>&lt;dir&gt;/blocks/&lt;xx&gt;/&lt;inode hex&gt;.&lt;block&gt;</c>,
/// read and written positionally, the OS page cache being the memory tier) in front of an
/// <see cref="IObjectStore"/>. Writes land in block files and return; <see cref="FlushAsync"/> makes
/// them durable locally (group commit of block fsyncs, then dirty records in the block map, which
/// lives in the metadata store: the cache directory holds only bytes); the
/// <see cref="Flusher"/> uploads dirty blocks later. A miss downloads the whole block object once
/// (concurrent readers share it), verifies its CRC-32C and keeps it as a clean block; clean blocks
/// are evicted LRU past the size limit, which counts each block file's extent (rounded up to
/// 64 KiB), so ten thousand small files do not count as ten thousand whole blocks. When the limit
/// is all dirty, writes needing room throw <see cref="StorageBusyException"/> (NFS: JUKEBOX)
/// until uploads free some. Small blocks are made durable through a <see cref="DataJournal"/>.
/// Transfers to and from the object store use pooled block buffers.
/// </summary>
internal sealed partial class BlockCache : IDisposable, DataJournal.ITarget
{
    private const int FanOut = 256;
    private const int ChargeUnit = 64 * 1024;
    private readonly BlockCacheOptions _options;
    private readonly IObjectStore _objects;
    private readonly GarbageCollector _garbage;
    private readonly string _blocksDirectory;
    private readonly string _legacyJournalPath;
    private readonly BlockMap _map;
    private readonly HandleCache _handles;
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Dictionary<ulong, BlockState>> _inodes = [];
    private readonly HashSet<BlockState> _dirty = [];
    private readonly LinkedList<BlockState> _clean = new(); // most recently used first
    private readonly Dictionary<ulong, ulong> _lastRead = []; // per inode: last block read, for read-ahead
    private readonly long _maxBytes;
    private readonly ArrayPool<byte> _buffers;
    private readonly SemaphoreSlim _downloads;
    private readonly Diagnostics.StorageMetrics? _metrics;
    private long _localBlocks;
    private long _localBytes;
    private long _dirtyBytes;
    private long _nextVersion;
    // Object ids leased from a metadata store other servers share (BlockCache.Admin.cs: NextObjectIdAsync).
    private readonly Lock _idLock = new();
    private bool _sharedIds;
    private ulong _leaseNext;
    private ulong _leaseEnd;

    public BlockCache(BlockCacheOptions options, IObjectStore objects, GarbageCollector garbage, IMetadataStore metadata)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SizeBytes, 4L * options.BlockSize);
        _options = options;
        _objects = objects;
        _garbage = garbage;
        BlockSize = options.BlockSize;
        _maxBytes = options.SizeBytes;
        string root = Path.GetFullPath(options.Directory);
        _blocksDirectory = Path.Combine(root, "blocks");
        _legacyJournalPath = Path.Combine(root, "blockmap.journal");
        _map = new BlockMap(metadata);
        _handles = new HandleCache(options.MaxOpenFiles);
        _buffers = ArrayPool<byte>.Create(options.BlockSize, options.UploadConcurrency + options.DownloadConcurrency + 4);
        _rounds = CreateFlushRounds();
        _downloads = new SemaphoreSlim(options.DownloadConcurrency, options.DownloadConcurrency);
        _metrics = options.Metrics;
    }

    public int BlockSize { get; }

    /// <summary>Called when a block becomes worth uploading or writers are waiting for space.</summary>
    public Action? Wake { get; set; }

    /// <summary>The first object version of this run: older unreferenced objects are garbage.</summary>
    public ulong BootVersion { get; private set; }

    public int DirtyCount
    {
        get { lock (_lock) return _dirty.Count; }
    }

    /// <summary>Bytes of the dirty blocks (for the log lines about the upload backlog).</summary>
    public long DirtyBytes
    {
        get { lock (_lock) return _dirtyBytes; }
    }

    public long LocalBlocks
    {
        get { lock (_lock) return _localBlocks; }
    }

    // ---------------------------------------------------------------- write

    public async ValueTask WriteAsync(ulong inode, ulong offset, ReadOnlySequence<byte> data)
    {
        if (data.IsEmpty) return;
        HashSet<ulong>? holes;
        lock (_lock) holes = MapRangeLocked(inode, offset / (ulong)BlockSize, (offset + (ulong)data.Length - 1) / (ulong)BlockSize);
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            ReadOnlyMemory<byte> src = segment;
            while (!src.IsEmpty)
            {
                (ulong block, int within, int n) = Piece(offset, src.Length);
                BlockState st = await PrepareWriteAsync(inode, block, within, n, holes).ConfigureAwait(false);
                try
                {
                    using HandleCache.Lease lease = Open(st, FileMode.OpenOrCreate);
                    RandomAccess.Write(lease.Handle, src.Span[..n], within);
                }
                finally
                {
                    FinishWrite(st, within, n);
                }
                src = src[n..];
                offset += (ulong)n;
            }
        }
    }

    /// <summary>Makes the block local (downloading it if the write covers only part of an uploaded block) and dirty.</summary>
    /// <param name="holes">The blocks of this write the block map showed to be holes (MapRangeLocked).</param>
    private async ValueTask<BlockState> PrepareWriteAsync(ulong inode, ulong block, int within, int count, HashSet<ulong>? holes = null)
    {
        while (true)
        {
            Task wait;
            BlockState st;
            bool create = false;
            lock (_lock)
            {
                st = GetOrAddLocked(inode, block, holes);
                if (st.Local)
                {
                    st.Readers++; // not its own eviction victim
                    bool room = GrowChargeLocked(st, within + count);
                    st.Readers--;
                    if (!room) throw Busy();
                    MakeDirtyLocked(st);
                    st.Writers++;
                    return st;
                }
                bool whole = within == 0 && count == BlockSize;
                if (st.Lost && !whole)
                {
                    RemoveIfEmptyLocked(st);
                    throw LostBlock(st);
                }
                if (st.Loading is { } loading)
                {
                    wait = loading;
                }
                else if (st.Version != 0 && !whole)
                {
                    wait = StartLoadLocked(st);
                }
                else
                {
                    long charge = Charge(within + count);
                    if (!ReserveLocked(charge))
                    {
                        RemoveIfEmptyLocked(st);
                        throw Busy();
                    }
                    st.Charged = charge;
                    st.Extent = 0;
                    _localBlocks++;
                    st.Local = true;
                    st.NewName = true;
                    st.Lost = false; // overwritten whole: what was lost no longer matters
                    MakeDirtyLocked(st);
                    st.Writers++;
                    create = true;
                    wait = Task.CompletedTask;
                }
            }
            if (create)
            {
                try
                {
                    // A fresh file: no stale bytes of an evicted or resurrected one.
                    _handles.RemoveOne(inode, block);
                    Open(st, FileMode.Create).Dispose();
                }
                catch
                {
                    lock (_lock)
                    {
                        st.Writers--;
                        DropLocalLocked(st);
                    }
                    throw;
                }
                return st;
            }
            await wait.ConfigureAwait(false);
        }
    }

    private void FinishWrite(BlockState st, int within, int count)
    {
        bool complete = within + count == BlockSize;
        bool passed = false;
        lock (_lock)
        {
            st.Writers--;
            st.Gen++;
            st.Unsynced = true;
            st.LastWrite = Environment.TickCount64;
            bool first = st.Extent == 0;
            st.Extent = Math.Max(st.Extent, within + count);
            if (complete) st.Complete = true;
            // A sequential writer starting this block is done with the previous one: stream it to the
            // bucket now rather than after it settles (a later rewrite only makes it dirty again).
            if ((first || within == 0) && count > 0 && st.Block > 0 && FindLocked(st.Inode, st.Block - 1) is { } previous
                && previous.Complete && previous.Dirty && previous.Local && !previous.Passed)
            {
                previous.Passed = passed = true;
            }
        }
        if (complete || passed) Wake?.Invoke();
    }

    private void MakeDirtyLocked(BlockState st)
    {
        if (st.Dirty) return;
        st.Dirty = true;
        st.DirtyJournaled = false;
        st.LastWrite = Environment.TickCount64; // a write is in progress: not idle (LastWrite was 0 for a new block)
        _dirty.Add(st);
        DirtyChangedLocked(+1, st.Charged);
        if (st.Lru is { } node)
        {
            _clean.Remove(node);
            st.Lru = null;
        }
    }

    /// <summary>The room a block file whose extent ends at <paramref name="end"/> takes: 64 KiB steps, at most a block.</summary>
    private long Charge(long end) => Math.Min(BlockSize, Math.Max(1, (end + ChargeUnit - 1) / ChargeUnit) * ChargeUnit);

    /// <summary>Takes <paramref name="bytes"/> of room in the disk tier, evicting least recently used clean blocks if needed.</summary>
    private bool ReserveLocked(long bytes)
    {
        while (_localBytes + bytes > _maxBytes)
        {
            LinkedListNode<BlockState>? node = _clean.Last;
            while (node is not null && (node.Value.Readers > 0 || node.Value.Loading is not null)) node = node.Previous;
            if (node is null) return false;
            BlockState victim = node.Value;
            _metrics?.CacheEvicted(victim.Length);
            DropLocalLocked(victim);
            RemoveIfEmptyLocked(victim);
        }
        _localBytes += bytes;
        _metrics?.CacheSizeChanged(bytes);
        return true;
    }

    /// <summary>A write reaching <paramref name="end"/> in a local block: charge the extra room (false: none to be had).</summary>
    private bool GrowChargeLocked(BlockState st, long end)
    {
        long needed = Charge(end);
        if (needed <= st.Charged) return true;
        long extra = needed - st.Charged;
        if (!ReserveLocked(extra)) return false;
        st.Charged = needed;
        if (st.Dirty)
        {
            _dirtyBytes += extra;
            _metrics?.CacheDirtyChanged(extra);
            _metrics?.FlushQueueChanged(0, extra);
        }
        return true;
    }

    /// <summary>Deletes the block file of a block (clean, or being dropped) and gives its room back.</summary>
    private void DropLocalLocked(BlockState st)
    {
        if (!st.Local) return;
        if (st.Prefetched)
        {
            st.Prefetched = false;
            _metrics?.ReadAhead(ReadAheadResult.Wasted);
        }
        st.Local = false;
        _localBlocks--;
        _localBytes -= st.Charged;
        _metrics?.CacheSizeChanged(-st.Charged);
        if (st.Lru is { } node)
        {
            _clean.Remove(node);
            st.Lru = null;
        }
        if (st.Dirty)
        {
            st.Dirty = false;
            _dirty.Remove(st);
            DirtyChangedLocked(-1, -st.Charged);
        }
        st.Charged = 0;
        _handles.RemoveOne(st.Inode, st.Block);
        try
        {
            File.Delete(BlockPath(st.Inode, st.Block));
        }
        catch (IOException)
        {
            // A leftover file is deleted at the next start (no dirty record names it) or replaced on reuse.
        }
    }

    /// <summary>Forgets a block's state once nothing is in flight for it: the block map has the rest.</summary>
    private void RemoveIfEmptyLocked(BlockState st)
    {
        if (st.Local || st.Loading is not null || st.Uploading) return;
        if (_inodes.TryGetValue(st.Inode, out Dictionary<ulong, BlockState>? blocks) && blocks.TryGetValue(st.Block, out BlockState? current) && current == st)
        {
            blocks.Remove(st.Block);
            if (blocks.Count == 0) _inodes.Remove(st.Inode);
        }
    }

    /// <summary>The block's state, loaded from the block map if the cache holds nothing for it.</summary>
    private BlockState GetOrAddLocked(ulong inode, ulong block, HashSet<ulong>? holes = null) =>
        FindCurrentLocked(inode, block, out bool known)
        ?? (known || holes?.Contains(block) == true ? AddLocked(inode, block, null) : AddLocked(inode, block, _map.Get(inode, block)));

    /// <summary>
    /// The block's state if the cache or the block map knows the block; null for a hole (also when
    /// <paramref name="holes"/>, a range query's answer for this read, says so).
    /// </summary>
    private BlockState? LookupLocked(ulong inode, ulong block, HashSet<ulong>? holes = null) =>
        FindCurrentLocked(inode, block, out bool known)
        ?? (!known && holes?.Contains(block) != true && _map.Get(inode, block) is { } record ? AddLocked(inode, block, record) : null);

    private BlockState AddLocked(ulong inode, ulong block, BlockRecord? record)
    {
        if (!_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks)) _inodes[inode] = blocks = [];
        var st = new BlockState(inode, block);
        if (record is { } r)
        {
            st.Version = r.Version;
            st.Crc = r.Crc;
            st.Length = r.Length;
            st.Packed = r.Packed;
            st.Offset = r.Offset;
            st.Shared = r.Shared;
            st.OriginInode = r.OriginInode;
            st.OriginBlock = r.OriginBlock;
            // A dirty record names a copy in this cache; every such copy is in memory since start-up.
            // With Durability=Bucket that copy was never acknowledged (a flush returns only once it is
            // uploaded): the block reads as last uploaded, or as a hole if it never was — the state of
            // its last answered COMMIT, as after any crash; the client resends what was unstable.
            // With a store other servers share, a dirty record may be another server's write not yet
            // uploaded: what is readable here is its last upload.
            st.Lost = r.Dirty && !_options.UploadOnFlush && !_sharedIds;
        }
        blocks[block] = st;
        return st;
    }

    /// <summary>The state the cache holds now (in memory only).</summary>
    private BlockState? FindLocked(ulong inode, ulong block) =>
        _inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks) && blocks.TryGetValue(block, out BlockState? st) ? st : null;

    private IOException Unreadable(BlockState st, string reason, Exception? inner)
    {
        if (_options.Logger is { } logger) CacheLog.BlockUnreadable(logger, st.Inode, st.Block, reason);
        return new IOException(reason, inner);
    }

    private IOException LostBlock(BlockState st)
    {
        string message = $"block {st.Block} of inode {st.Inode} is lost: the block map names a committed copy in the cache that is gone, never uploaded";
        if (_options.Logger is { } logger) CacheLog.BlockLost(logger, st.Inode, st.Block);
        return new IOException(message);
    }

    // ---------------------------------------------------------------- read

    public async ValueTask ReadAsync(ulong inode, ulong offset, Memory<byte> destination)
    {
        if (destination.IsEmpty) return;
        ulong first = offset / (ulong)BlockSize;
        ulong last = (offset + (ulong)destination.Length - 1) / (ulong)BlockSize;
        HashSet<ulong>? holes;
        lock (_lock) holes = MapRangeLocked(inode, first, MapWindowEndLocked(inode, first, last));
        bool sequential = ReadAhead(inode, first, last, holes);
        while (!destination.IsEmpty)
        {
            (ulong block, int within, int n) = Piece(offset, destination.Length);
            await ReadBlockAsync(inode, block, within, destination[..n], sequential, holes).ConfigureAwait(false);
            destination = destination[n..];
            offset += (ulong)n;
        }
    }

    /// <param name="sequential">Part of a sequential read: a block read-ahead did not fetch is a read-ahead miss.</param>
    /// <param name="holes">The blocks of this read the block map showed to be holes (MapRangeLocked).</param>
    private async ValueTask ReadBlockAsync(ulong inode, ulong block, int within, Memory<byte> destination, bool sequential, HashSet<ulong>? holes)
    {
        bool missed = false;
        while (true)
        {
            Task wait;
            BlockState? st;
            lock (_lock)
            {
                st = LookupLocked(inode, block, holes);
                if (st is not null && st.Lost)
                {
                    RemoveIfEmptyLocked(st);
                    throw LostBlock(st);
                }
                if (st is null || (!st.Local && st.Loading is null && st.Version == 0))
                {
                    if (st is not null) RemoveIfEmptyLocked(st);
                    destination.Span.Clear(); // a hole
                    return;
                }
                if (st.Prefetched)
                {
                    st.Prefetched = false; // fetched ahead of this read (done or still in flight)
                    _metrics?.ReadAhead(ReadAheadResult.Hit);
                }
                else if (sequential && !missed && !st.Local && _options.ReadAheadBlocks > 0)
                {
                    _metrics?.ReadAhead(ReadAheadResult.Miss);
                }
                if (st.Local)
                {
                    if (!missed) _metrics?.CacheHit();
                    st.Readers++;
                    if (st.Lru is { } node && node != _clean.First)
                    {
                        _clean.Remove(node);
                        _clean.AddFirst(node);
                    }
                    wait = Task.CompletedTask;
                }
                else
                {
                    if (!missed) _metrics?.CacheMiss();
                    missed = true;
                    wait = st.Loading ?? StartLoadLocked(st);
                }
            }
            if (wait == Task.CompletedTask)
            {
                try
                {
                    ReadFile(st, within, destination.Span);
                }
                finally
                {
                    lock (_lock) st.Readers--;
                }
                return;
            }
            await wait.ConfigureAwait(false);
        }
    }

    private void ReadFile(BlockState st, int within, Span<byte> destination)
    {
        int read = 0;
        if (TryOpenExisting(st, out HandleCache.Lease lease))
        {
            using (lease)
            {
                while (read < destination.Length)
                {
                    int got = RandomAccess.Read(lease.Handle, destination[read..], within + read);
                    if (got == 0) break; // past the block file's end: zeros
                    read += got;
                }
            }
        }
        destination[read..].Clear();
    }

    /// <summary>
    /// A sequential reader (this read starts at or right after the last one's block) gets the next
    /// ReadAheadBlocks blocks fetched, through the same downloads (bounded by DownloadConcurrency, CRC
    /// checked) as a miss; returns whether the read is sequential. A read elsewhere starts no more:
    /// what is in flight lands as clean blocks, counted wasted if evicted or dropped unread.
    /// </summary>
    private bool ReadAhead(ulong inode, ulong first, ulong last, HashSet<ulong>? holes)
    {
        if (_options.ReadAheadBlocks <= 0) return false;
        lock (_lock)
        {
            bool sequential = IsSequentialLocked(inode, first);
            if (_lastRead.Count > 4096 && !_lastRead.ContainsKey(inode)) _lastRead.Clear();
            _lastRead[inode] = last;
            if (!sequential) return false;
            for (ulong b = last + 1; b <= last + (ulong)_options.ReadAheadBlocks; b++)
            {
                BlockState? st = LookupLocked(inode, b, holes);
                if (st is null) break; // a hole or past the end: nothing further is worth fetching
                if (st.Local || st.Loading is not null || st.Version == 0 || st.Lost) continue;
                if (_localBytes + BlockSize > _maxBytes && _clean.Count == 0) break; // no room: do not fight the writers
                st.Prefetched = true;
                // A failed fetch (missing or corrupt object) is the reader's IO error when it gets there.
                _ = StartLoadLocked(st).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- download

    private Task StartLoadLocked(BlockState st)
    {
        Task task = Task.Run(() => LoadAsync(st));
        st.Loading = task;
        return task;
    }

    /// <summary>Downloads a block's object into the disk tier as a clean block. Unreachable store: StorageBusyException.</summary>
    private async Task LoadAsync(BlockState st)
    {
        ulong version;
        uint crc;
        int length;
        long offset;
        string key;
        lock (_lock)
        {
            version = st.Version;
            crc = st.Crc;
            length = st.Length;
            offset = st.Offset;
            key = KeyOf(st);
        }
        long reserved = 0;
        byte[]? buffer = null;
        try
        {
            await _downloads.WaitAsync().ConfigureAwait(false);
            try
            {
                buffer = _buffers.Rent(BlockSize);
                try
                {
                    await FetchVerifiedAsync(st, key, offset, crc, length, buffer).ConfigureAwait(false);
                }
                catch (IOException) when (Moved(st, version))
                {
                    return; // compacted into another segment meanwhile: the reader loads it from there
                }
                lock (_lock)
                {
                    if (st.Dropped || st.Local || st.Version != version) return;
                    if (!ReserveLocked(Charge(length))) throw Busy();
                    reserved = Charge(length);
                }
                _handles.RemoveOne(st.Inode, st.Block);
                using (HandleCache.Lease lease = Open(st, FileMode.Create))
                {
                    RandomAccess.Write(lease.Handle, buffer.AsSpan(0, length), 0);
                }
                lock (_lock)
                {
                    st.Charged = reserved;
                    st.Extent = length;
                    _localBlocks++;
                    reserved = 0;
                    st.Local = true;
                    st.NewName = true;
                    if (st.Dropped || st.Version != version)
                    {
                        DropLocalLocked(st);
                    }
                    else
                    {
                        st.Lru = _clean.AddFirst(st);
                    }
                }
            }
            finally
            {
                _downloads.Release();
                if (buffer is not null) _buffers.Return(buffer);
            }
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new StorageBusyException("the object store is unreachable", e);
        }
        finally
        {
            lock (_lock)
            {
                if (reserved != 0)
                {
                    _localBytes -= reserved;
                    _metrics?.CacheSizeChanged(-reserved);
                }
                st.Loading = null;
                if (!st.Local) st.Prefetched = false; // not fetched after all: the next reader loads it
                RemoveIfEmptyLocked(st);
            }
        }
    }

    private bool Moved(BlockState st, ulong version)
    {
        lock (_lock) return !st.Dropped && st.Version != version;
    }

    /// <summary>Reads a block's bytes (a ranged GET of its segment if packed) and checks its CRC-32C; a missing or corrupt object is an IO error.</summary>
    private async Task FetchVerifiedAsync(BlockState st, string key, long offset, uint crc, int length, byte[] buffer)
    {
        for (int attempt = 1; ; attempt++)
        {
            int got;
            try
            {
                got = await _objects.GetAsync(key, offset, buffer.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException e)
            {
                // The block map names it, the bucket does not have it: an IO error, never zeros.
                throw Unreadable(st, $"object {key} is missing", e);
            }
            if (got == length && Crc32C.Compute(buffer.AsSpan(0, length)) == crc) return;
            if (attempt == 2)
            {
                throw Unreadable(st, $"object {key} is corrupt: {got} of {length} bytes, crc32c {Crc32C.Compute(buffer.AsSpan(0, got)):x8}, want {crc:x8}", null);
            }
        }
    }

    // ---------------------------------------------------------------- truncate / delete

    /// <summary>Drops blocks past <paramref name="size"/> and cuts the last one; durable on return.</summary>
    public async ValueTask TruncateAsync(ulong inode, ulong size)
    {
        ulong bs = (ulong)BlockSize;
        ulong keep = size / bs + (size % bs == 0 ? 0UL : 1UL);
        await DropAsync(inode, keep).ConfigureAwait(false);
        if (size % bs == 0) return;

        ulong block = size / bs;
        int within = (int)(size % bs);
        lock (_lock)
        {
            BlockState? st = LookupLocked(inode, block);
            if (st is null) return;
            if (!st.Local && st.Loading is null && !st.Lost && st.Length <= within)
            {
                RemoveIfEmptyLocked(st);
                return; // nothing past the cut
            }
        }
        BlockState cut = await PrepareWriteAsync(inode, block, within, 0).ConfigureAwait(false);
        try
        {
            using HandleCache.Lease lease = Open(cut, FileMode.OpenOrCreate);
            if (RandomAccess.GetLength(lease.Handle) > within) RandomAccess.SetLength(lease.Handle, within);
        }
        finally
        {
            FinishWrite(cut, within, 0);
        }
        await FlushAsync(inode).ConfigureAwait(false);
    }

    public ValueTask DeleteAsync(ulong inode)
    {
        lock (_lock) _lastRead.Remove(inode);
        return DropAsync(inode, 0);
    }

    /// <summary>The blocks of [fromBlock, toBlock) with bytes: in the cache (written, maybe not yet flushed) or in the block map.</summary>
    public IReadOnlyList<ulong> ListDataBlocks(ulong inode, ulong fromBlock, ulong toBlock)
    {
        var found = new SortedSet<ulong>();
        lock (_lock)
        {
            foreach (BlockEntry e in _map.List(inode, fromBlock))
            {
                if (e.Block < toBlock) found.Add(e.Block);
            }
            if (_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks))
            {
                foreach (BlockState st in blocks.Values)
                {
                    if (st.Block >= fromBlock && st.Block < toBlock && (st.Local || st.Version != 0 || st.Lost)) found.Add(st.Block);
                }
            }
        }
        return [.. found];
    }

    /// <summary>A punched hole: blocks [fromBlock, toBlock) leave the block map in one batch, then their objects become garbage.</summary>
    public ValueTask PunchAsync(ulong inode, ulong fromBlock, ulong toBlock) =>
        fromBlock >= toBlock ? ValueTask.CompletedTask : DropAsync(inode, fromBlock, toBlock);

    /// <summary>
    /// Forgets blocks from <paramref name="fromBlock"/> on (up to <paramref name="toBlock"/>, exclusive: a punched
    /// hole): a durable DropBlocks (DropBlockRange) in the block map first, then their objects become garbage.
    /// </summary>
    private async ValueTask DropAsync(ulong inode, ulong fromBlock, ulong toBlock = ulong.MaxValue)
    {
        var garbage = new HashSet<string>(StringComparer.Ordinal);
        var loads = new List<Task>();
        var dead = new Released(); // packed bytes no longer named, per segment; names of shared objects
        long position;
        lock (_lock)
        {
            IReadOnlyList<BlockEntry> recorded = _map.List(inode, fromBlock);
            if (toBlock != ulong.MaxValue) recorded = [.. recorded.Where(e => e.Block < toBlock)];
            foreach (BlockEntry e in recorded) ReleaseLocked(inode, e.Block, e.Record, dead, garbage);
            bool held = false;
            if (_inodes.TryGetValue(inode, out Dictionary<ulong, BlockState>? blocks))
            {
                foreach (BlockState st in blocks.Values.Where(s => s.Block >= fromBlock && s.Block < toBlock).ToList())
                {
                    held = true;
                    st.Dropped = true;
                    blocks.Remove(st.Block);
                    DropLocalLocked(st);
                    if (st.Version != 0 && !st.Packed && !st.Shared) garbage.Add(ObjectKeys.Format(inode, st.Block, st.Version));
                    if (st.Loading is { } loading) loads.Add(loading);
                }
                if (blocks.Count == 0) _inodes.Remove(inode);
            }
            // Nothing recorded and nothing held (a file that never had data): no record to write.
            // Segments lose the dropped blocks' bytes in the same batch that drops their records.
            MetadataOp drop = toBlock == ulong.MaxValue ? MetadataOp.DropBlocks(inode, fromBlock) : MetadataOp.DropBlockRange(inode, fromBlock, toBlock);
            position = recorded.Count > 0 || held ? ApplyReleasingLocked([drop], dead, garbage) : 0;
        }
        await _map.WaitDurableAsync(position).ConfigureAwait(false);
        _garbage.Enqueue(garbage, position);
        SignalUploadProgress(); // a COMMIT waiting for a dropped block is done with it
        foreach (Task load in loads)
        {
            try
            {
                await load.ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The load was for a block that no longer exists.
            }
        }
    }

    // ---------------------------------------------------------------- files

    private string FanOutDirectory(ulong inode, ulong block) =>
        Path.Combine(_blocksDirectory, ((inode * 31 + block) % FanOut).ToString("x2", CultureInfo.InvariantCulture));

    string DataJournal.ITarget.BlockPath(ulong inode, ulong block) => BlockPath(inode, block);

    private string BlockPath(ulong inode, ulong block) =>
        Path.Combine(FanOutDirectory(inode, block), string.Create(CultureInfo.InvariantCulture, $"{inode:x16}.{block}"));

    private HandleCache.Lease Open(BlockState st, FileMode mode)
    {
        if (mode != FileMode.Create && _handles.TryAcquire(st.Inode, st.Block, out HandleCache.Lease lease)) return lease;
        SafeFileHandle handle = File.OpenHandle(BlockPath(st.Inode, st.Block), mode, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        return _handles.Add(st.Inode, st.Block, handle);
    }

    private bool TryOpenExisting(BlockState st, out HandleCache.Lease lease)
    {
        try
        {
            lease = Open(st, FileMode.Open);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            lease = default;
            return false;
        }
    }

    private (ulong Block, int Within, int Count) Piece(ulong offset, int length)
    {
        ulong block = offset / (ulong)BlockSize;
        int within = (int)(offset % (ulong)BlockSize);
        return (block, within, Math.Min(length, BlockSize - within));
    }

    private StorageBusyException Busy()
    {
        Wake?.Invoke();
        return new StorageBusyException("the block cache is full of data not yet uploaded");
    }

    /// <summary>A block became dirty (+1) or clean/dropped (-1): the dirty bytes (as charged against the limit) and the upload queue.</summary>
    private void DirtyChangedLocked(int blocks, long bytes)
    {
        _dirtyBytes += bytes;
        if (_metrics is null) return;
        _metrics.CacheDirtyChanged(bytes);
        _metrics.FlushQueueChanged(blocks, bytes);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            // This cache's share of the gauges goes with it (the metrics outlive a store).
            _metrics?.CacheSizeChanged(-_localBytes);
            DirtyChangedLocked(-_dirty.Count, -_dirtyBytes);
            _localBlocks = 0;
            _localBytes = 0;
            _dirty.Clear();
        }
        _dataJournal?.Dispose();
        _handles.Dispose();
        _downloads.Dispose();
    }
}
