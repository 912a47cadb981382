using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// Embedded metadata store: a FasterLog WAL of op batches (group-committed for
/// durability) in front of a FasterKV&lt;SpanByte, SpanByte&gt; holding the state.
/// Checkpoints of the KV carry the WAL address they cover, after which the WAL
/// is truncated; recovery = KV checkpoint + replay of the WAL tail.
/// See Keys (key layout), BatchCodec (WAL format), DirectoryPages (READDIR).
/// </summary>
public sealed partial class FasterMetadataStore : IMetadataStore
{
    private static readonly int InodeSize = Unsafe.SizeOf<InodeRecord>();

    private readonly FasterMetadataStoreOptions _options;
    // Serialises WAL enqueue + KV apply so the WAL order is the apply order (replay reproduces it).
    private readonly object _applyLock = new();
    private IDevice? _walDevice;
    private FasterLog? _wal;
    private MetadataKv? _kv;
    private GroupCommit? _commit;
    private Payload.FreeSpaceGuard? _space;
    private readonly Diagnostics.Outage _diskFull = new();
    private long _lastInode;
    // WAL records enqueued since open (group commit's mutations-per-commit histogram).
    private long _walRecords;
    private int _state; // 0 new, 1 open, 2 disposed
    // The precondition checks' reads, made once: a method group converted per batch would allocate.
    private readonly Func<ulong, InodeRecord?> _readInode;
    private readonly Func<ulong, byte[], EntryRecord?> _readEntry;
    private readonly Func<byte[], VolumeRecord?> _readVolume;

    public FasterMetadataStore(FasterMetadataStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DirectoryPageSize is < 1 or > 65536) throw new ArgumentOutOfRangeException(nameof(options), "DirectoryPageSize must be 1 to 65536");
        _options = options;
        _readInode = ReadInode;
        _readEntry = (d, n) => ReadEntry(d, n);
        _readVolume = n => ReadVolume(n);
    }

    private FasterLog Wal => _wal ?? throw NotOpen();
    private MetadataKv Kv => _kv ?? throw NotOpen();
    private int PageSize => _options.DirectoryPageSize;

    /// <summary>WAL commits issued by group commit (each one flush + fsync); for tests and metrics.</summary>
    internal long CommitCount => _commit?.Commits ?? 0;

    /// <summary>First live WAL address (moves when a checkpoint truncates the WAL).</summary>
    internal long WalBeginAddress => Wal.BeginAddress;

    internal long WalTailAddress => Wal.TailAddress;

    public ulong AllocateInode()
    {
        ThrowIfNotOpen();
        return (ulong)Interlocked.Increment(ref _lastInode);
    }

    /// <summary>NOSPC in the log once when the disk fills and once a minute while it stays full.</summary>
    private void LogDiskFull()
    {
        if (_options.Logger is not { } logger) return;
        if (_diskFull.Failed(out _, out long refused) is Diagnostics.Outage.Change.Started or Diagnostics.Outage.Change.StillFailing)
        {
            MetadataLog.DiskFull(logger, _options.WalDirectory, Payload.FreeSpaceGuard.FreeBytes(_options.WalDirectory) ?? -1, _options.ReserveBytes, refused);
        }
    }

    public ValueTask<long> ApplyAsync(MetadataOp[] ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        ThrowIfNotOpen();
        bool checks = MetadataConflict.HasPreconditions(ops); // the WAL records changes only (BatchCodec skips checks)
        _commit?.ThrowIfFailed(); // never apply what can no longer be made durable
        int size = BatchCodec.GetSize(ops);
        if (_options.ReserveBytes > 0 && !_space!.HasRoom(size, FreesSpace(ops) ? _options.ReserveBytes / 8 : _options.ReserveBytes))
        {
            LogDiskFull();
            throw new Payload.StorageFullException("The metadata disk is full: change refused.");
        }
        if (_options.Logger is { } logger && _diskFull.Succeeded(out TimeSpan full, out long refused) == Diagnostics.Outage.Change.Recovered)
        {
            MetadataLog.DiskRoomAgain(logger, full.TotalSeconds, refused);
        }
        if (size > _options.WalPageSize - 64) throw new ArgumentException("Batch larger than a WAL page", nameof(ops));

        byte[]? rented = null;
        Span<byte> record = size <= 512 ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            // Every inode in this batch was allocated before now, so the counter written here covers them.
            BatchCodec.Write(record, ops, (ulong)Interlocked.Read(ref _lastInode));
            long position;
            lock (_applyLock)
            {
                if (checks && !MetadataConflict.Holds(ops, _readInode, _readEntry, _readVolume))
                {
                    return ValueTask.FromResult(MetadataConflict.Position);
                }
                try
                {
                    Wal.Enqueue(record);
                }
                catch (Exception e) when (e is not IOException and not ObjectDisposedException)
                {
                    throw new IOException("The metadata log refused a record.", e); // e.g. a log canned by a failed commit
                }
                ApplyToKv(ops);
                Volatile.Write(ref _walRecords, _walRecords + 1); // under the lock: one writer
                _shipper?.Changed();
                // The tail is at or past the end of our record: the address a commit must cover.
                position = Wal.TailAddress;
            }
            return ValueTask.FromResult(position);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A batch that deletes an inode (REMOVE, RMDIR, RENAME over a file) frees space.</summary>
    private static bool FreesSpace(MetadataOp[] ops)
    {
        foreach (MetadataOp op in ops)
        {
            if (op.Kind == MetadataOpKind.DeleteInode) return true;
        }
        return false;
    }

    public ValueTask WaitDurableAsync(long position)
    {
        var commit = _commit ?? throw NotOpen();
        return commit.WaitAsync(position);
    }

    public ValueTask<InodeRecord?> GetInodeAsync(ulong inode)
    {
        ThrowIfNotOpen();
        return ValueTask.FromResult(ReadInode(inode));
    }

    public ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name)
    {
        ThrowIfNotOpen();
        return ValueTask.FromResult(ReadEntry(directory, name.Span));
    }

    public ValueTask<byte[]?> GetXattrsAsync(ulong inode)
    {
        ThrowIfNotOpen();
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        return ValueTask.FromResult(Kv.ReadBytes(Keys.Xattrs(key, inode)));
    }

    public ValueTask<byte[]?> GetSymlinkAsync(ulong inode)
    {
        ThrowIfNotOpen();
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        return ValueTask.FromResult(Kv.ReadBytes(Keys.Symlink(key, inode)));
    }

    public ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name)
    {
        ThrowIfNotOpen();
        return ValueTask.FromResult(ReadVolume(name.Span));
    }

    private VolumeRecord? ReadVolume(ReadOnlySpan<byte> name)
    {
        if (name.Length > Keys.MaxStackName) return null;
        Span<byte> key = stackalloc byte[1 + Keys.MaxStackName];
        Span<byte> value = stackalloc byte[12];
        int n = Kv.Read(Keys.Volume(key, name), value);
        if (n < 0) return null;
        if (n != 12) throw new InvalidDataException("Corrupt volume record");
        return new VolumeRecord(BinaryPrimitives.ReadUInt32LittleEndian(value), BinaryPrimitives.ReadUInt64LittleEndian(value[4..]));
    }

    public ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max)
    {
        ThrowIfNotOpen();
        var result = new List<DirEntryRecord>(Math.Clamp(max, 0, 1024));
        // NextCookie bounds the walk: no entry has a cookie at or above it, so no page past its page exists.
        if (max <= 0 || ReadInode(directory) is not { } dir || dir.NextCookie == 0 || afterCookie >= dir.NextCookie - 1)
            return ValueTask.FromResult<IReadOnlyList<DirEntryRecord>>(result);

        CollectSlots(directory, afterCookie, dir.NextCookie, max, result);
        return ValueTask.FromResult<IReadOnlyList<DirEntryRecord>>(result);
    }

    private InodeRecord? ReadInode(ulong inode)
    {
        Span<byte> key = stackalloc byte[Keys.InodeKeySize];
        InodeRecord record = default;
        // A local struct lives on the stack, so it is fixed while FASTER copies into it.
        int n = Kv.Read(Keys.Inode(key, inode), MemoryMarshal.AsBytes(new Span<InodeRecord>(ref record)));
        if (n < 0) return null;
        if (n != InodeSize) throw new InvalidDataException($"Corrupt inode record {inode}");
        return record;
    }

    private EntryRecord? ReadEntry(ulong directory, ReadOnlySpan<byte> name)
    {
        if (name.Length > Keys.MaxStackName) return null;
        Span<byte> key = stackalloc byte[9 + Keys.MaxStackName];
        Span<byte> value = stackalloc byte[16];
        int n = Kv.Read(Keys.Entry(key, directory, name), value);
        if (n < 0) return null;
        if (n != 16) throw new InvalidDataException("Corrupt entry record");
        return new EntryRecord(BinaryPrimitives.ReadUInt64LittleEndian(value), BinaryPrimitives.ReadUInt64LittleEndian(value[8..]));
    }

    private void ThrowIfNotOpen()
    {
        if (Volatile.Read(ref _state) != 1) throw NotOpen();
    }

    private Exception NotOpen() => _state == 2
        ? new ObjectDisposedException(nameof(FasterMetadataStore))
        : new InvalidOperationException("FasterMetadataStore is not open (call OpenAsync)");
}
