using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Payload;

/// <summary>
/// File bytes on local disk: fixed-size sparse block files, block 0 at
/// <c>&lt;root&gt;/&lt;fan-out&gt;/&lt;inode hex&gt;.0</c> and the others in the file's directory,
/// <c>&lt;fan-out&gt;/&lt;inode hex&gt;/&lt;block index&gt;</c> (see the Layout part).
/// I/O is positional (RandomAccess) on cached handles: no stream buffering, no per-call allocation
/// once a handle is open. Writes land in the page cache; <see cref="FlushAsync"/> fsyncs the
/// blocks written since the last flush (and directories that gained files), one round for all
/// callers waiting at the time (group commit); small blocks go to the <see cref="DataJournal"/>
/// instead, one fdatasync for the round.
/// </summary>
public sealed partial class LocalPayloadStore : IPayloadStore, DataJournal.ITarget
{
    private readonly string _root;
    private readonly HandleCache _handles;
    private readonly Lock _dirtyLock = new();
    // Per inode: blocks written and directories that gained entries since the last flush.
    private readonly Dictionary<ulong, DirtyState> _dirty = [];
    private readonly Diagnostics.StorageMetrics? _metrics;
    private readonly FreeSpaceGuard _space;
    private readonly long _reserve;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;
    private readonly Diagnostics.Outage _diskFull = new();

    public LocalPayloadStore(string root)
        : this(new LocalPayloadStoreOptions { Root = root })
    {
    }

    public LocalPayloadStore(LocalPayloadStoreOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxOpenFiles, 1);
        _root = Path.GetFullPath(options.Root);
        BlockSize = options.BlockSize;
        _handles = new HandleCache(options.MaxOpenFiles);
        _rounds = CreateFlushRounds();
        _metrics = options.Metrics;
        Directory.CreateDirectory(_root);
        _flatFirstBlock = ReadOrChooseLayout(_root);
        _space = new FreeSpaceGuard(_root);
        _reserve = options.ReserveBytes;
        _logger = options.Logger;
        if (options.JournalBytes > 0)
        {
            _journal = DataJournal.Open(Path.Combine(_root, "data.journal"), _root, this, options.JournalBytes, options.JournalMaxImage);
        }
    }

    public int BlockSize { get; }

    public ValueTask ReadAsync(ulong inode, ulong offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        try
        {
            Span<byte> dest = destination.Span;
            while (!dest.IsEmpty)
            {
                (ulong block, long within, int n) = Piece(offset, dest.Length);
                Span<byte> piece = dest[..n];
                int read = 0;
                if (TryOpen(inode, block, create: false, out HandleCache.Lease lease))
                {
                    using (lease)
                    {
                        while (read < n)
                        {
                            int got = RandomAccess.Read(lease.Handle, piece[read..], within + read);
                            if (got == 0) break; // past the block file's end: a hole
                            read += got;
                        }
                    }
                }
                piece[read..].Clear();
                dest = dest[n..];
                offset += (ulong)n;
            }
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(Translate(e));
        }
    }

    public ValueTask WriteAsync(ulong inode, ulong offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!_space.HasRoom(data.Length, _reserve))
            {
                throw new StorageFullException($"The payload store's disk is full (keeping {_reserve} bytes free for metadata).");
            }
            if (_logger is not null && _diskFull.Succeeded(out TimeSpan full, out long refused) == Diagnostics.Outage.Change.Recovered)
            {
                PayloadLog.DiskRoomAgain(_logger, full.TotalSeconds, refused);
            }
            foreach (ReadOnlyMemory<byte> segment in data)
            {
                ReadOnlySpan<byte> src = segment.Span;
                while (!src.IsEmpty)
                {
                    (ulong block, long within, int n) = Piece(offset, src.Length);
                    TryOpen(inode, block, create: true, out HandleCache.Lease lease);
                    using (lease)
                    {
                        RandomAccess.Write(lease.Handle, src[..n], within);
                    }
                    MarkDirty(inode, block, null);
                    src = src[n..];
                    offset += (ulong)n;
                }
            }
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(Translate(e));
        }
    }

    /// <summary>Drops whole blocks past <paramref name="size"/> and cuts the partial last one; durable on return.</summary>
    public ValueTask TruncateAsync(ulong inode, ulong size, CancellationToken cancellationToken = default)
    {
        try
        {
            List<(ulong Block, string Path)> files = BlockFiles(inode);
            if (files.Count == 0) return ValueTask.CompletedTask;
            ulong bs = (ulong)BlockSize;
            ulong keep = size / bs + (size % bs == 0 ? 0UL : 1UL); // blocks [0, keep) survive
            if (_journal is not null)
            {
                // Durable before any file goes: a replay must not bring back an image of a removed block.
                _journal.AppendDrop(inode, keep);
                _journal.Sync();
            }
            _handles.Remove(inode, keep);
            var emptied = new HashSet<string>();
            foreach ((ulong block, string path) in files)
            {
                if (block < keep) continue;
                File.Delete(path);
                ForgetDirty(inode, block);
                emptied.Add(Path.GetDirectoryName(path)!);
            }
            if (size % bs != 0 && TryOpen(inode, size / bs, create: false, out HandleCache.Lease lease))
            {
                using (lease)
                {
                    long within = (long)(size % bs);
                    if (RandomAccess.GetLength(lease.Handle) > within)
                    {
                        RandomAccess.SetLength(lease.Handle, within);
                        SyncInPlace(inode, size / bs, lease.Handle);
                        _journal?.Sync();
                    }
                }
            }
            // Removed names must stay removed, or a crash could resurrect old bytes past the new size.
            foreach (string dir in emptied) FileSync.Directory(dir);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(Translate(e));
        }
    }

    /// <summary>Block files that exist and are not empty (a punched block is cut to length 0 in place, see <see cref="PunchAsync"/>).</summary>
    public ValueTask<IReadOnlyList<ulong>> ListDataBlocksAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        try
        {
            var found = new List<ulong>();
            foreach ((ulong block, string path) in BlockFiles(inode))
            {
                if (block >= fromBlock && block < toBlock && new FileInfo(path).Length > 0) found.Add(block);
            }
            found.Sort();
            return new(found);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<IReadOnlyList<ulong>>(Translate(e));
        }
    }

    /// <summary>
    /// Cuts each block file of the range to length 0 in place and syncs it, as TruncateAsync does for a
    /// partial last block: the data journal's images of the block are then superseded (NoteSynced), so a
    /// replay cannot bring the bytes back; the file stays, so no directory change needs a sync.
    /// </summary>
    public ValueTask PunchAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        try
        {
            IReadOnlyList<ulong> blocks = ListDataBlocksAsync(inode, fromBlock, toBlock, cancellationToken).Result;
            foreach (ulong block in blocks)
            {
                if (!TryOpen(inode, block, create: false, out HandleCache.Lease lease)) continue;
                using (lease)
                {
                    RandomAccess.SetLength(lease.Handle, 0);
                    SyncInPlace(inode, block, lease.Handle);
                }
                ForgetDirty(inode, block);
            }
            if (blocks.Count > 0) _journal?.Sync();
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(Translate(e));
        }
    }

    public ValueTask DeleteAsync(ulong inode, CancellationToken cancellationToken = default)
    {
        try
        {
            _handles.Remove(inode);
            lock (_dirtyLock) _dirty.Remove(inode);
            // Not synced: if the removal is lost in a crash, the leftover files belong to an inode number never reused.
            _journal?.AppendDrop(inode, 0);
            if (_flatFirstBlock && File.Exists(FlatFirstBlockPath(inode))) File.Delete(FlatFirstBlockPath(inode));
            string dir = InodeDirectory(inode);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            return ValueTask.FromException(Translate(e));
        }
    }

    public (ulong Total, ulong Free) GetCapacity()
    {
        var drive = new DriveInfo(_root);
        // The reserve is not for file data: FSSTAT (df) shows what a write can still use.
        return ((ulong)drive.TotalSize, (ulong)Math.Max(0, drive.AvailableFreeSpace - _reserve));
    }

    public ValueTask DisposeAsync()
    {
        _journal?.Dispose();
        _handles.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A cached handle on a block file; false if it does not exist and <paramref name="create"/> is false.</summary>
    private bool TryOpen(ulong inode, ulong block, bool create, out HandleCache.Lease lease)
    {
        if (_handles.TryAcquire(inode, block, out lease)) return true;
        string path = BlockPath(inode, block);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (!create) return false;
            EnsureDirectories(inode, block);
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            MarkDirty(inode, null, Path.GetDirectoryName(path)); // the new name needs a directory fsync
        }
        lease = _handles.Add(inode, block, handle);
        return true;
    }

    private (ulong Block, long Within, int Count) Piece(ulong offset, int length)
    {
        ulong block = offset / (ulong)BlockSize;
        int within = (int)(offset % (ulong)BlockSize);
        return (block, within, Math.Min(length, BlockSize - within));
    }

    private Exception Translate(Exception e)
    {
        Exception translated = e is IOException io && io is not StorageFullException && StorageFullException.IsDiskFull(io)
            ? new StorageFullException("The payload store is full.", io)
            : e;
        if (translated is StorageFullException && _logger is not null
            && _diskFull.Failed(out _, out long refused) is Diagnostics.Outage.Change.Started or Diagnostics.Outage.Change.StillFailing)
        {
            PayloadLog.DiskFull(_logger, _root, FreeSpaceGuard.FreeBytes(_root) ?? -1, _reserve, refused);
        }
        return translated;
    }
}
