using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// A metadata store with a WAL's durability lag, for crash tests of the cache: batches are visible
/// at once (as the embedded stores make them) and durable only at the next group commit, a few
/// milliseconds later. <see cref="Crash"/> is kill -9: this instance refuses every later change
/// (the dead process's background work fails harmlessly) and the next instance holds the durable
/// batches only, replayed in order.
/// </summary>
internal sealed class CrashableMetadataStore : IMetadataStore
{
    private readonly InMemoryMetadataStore _inner = new();
    private readonly Lock _lock = new();
    private readonly List<MetadataOp[]> _log = []; // applied batches, in order
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _commitEvery;
    private readonly bool _shared;
    private long _durable; // batches of _log durable
    private bool _crashed;
    private long _nextLease = 1 << 20;

    /// <param name="shared">Act as a store several servers share: object ids come in leased ranges (as PostgreSQL's sequence gives them).</param>
    public CrashableMetadataStore(TimeSpan commitEvery, bool shared = false)
    {
        _commitEvery = commitEvery;
        _shared = shared;
        _ = Task.Run(CommitLoop);
    }

    public bool IsShared => _shared;

    public ValueTask<IdRange> LeaseBlockVersionsAsync() =>
        ValueTask.FromResult(_shared ? new IdRange((ulong)Interlocked.Add(ref _nextLease, 1024) - 1024, 1024) : IdRange.None);

    private async Task CommitLoop()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_commitEvery, _stop.Token);
                lock (_lock) if (!_crashed) _durable = _log.Count;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The process dies: a new store over the durable batches; this one takes no further change.</summary>
    public CrashableMetadataStore Crash()
    {
        MetadataOp[][] durable;
        lock (_lock)
        {
            _crashed = true;
            durable = [.. _log.Take((int)_durable)];
        }
        _stop.Cancel();
        var next = new CrashableMetadataStore(_commitEvery);
        foreach (MetadataOp[] batch in durable) next.ApplyAsync(batch).AsTask().GetAwaiter().GetResult();
        lock (next._lock) next._durable = next._log.Count;
        return next;
    }

    public ValueTask<long> ApplyAsync(MetadataOp[] ops)
    {
        lock (_lock)
        {
            if (_crashed) throw new IOException("the process is gone");
            if (ops.Length == 0) return ValueTask.FromResult((long)_log.Count); // a barrier: everything so far
            // Visible and logged together, so the log's order is the order reads saw.
            _inner.ApplyAsync(ops).AsTask().GetAwaiter().GetResult();
            _log.Add([.. ops]); // the caller reuses its array
            return ValueTask.FromResult((long)_log.Count);
        }
    }

    public async ValueTask WaitDurableAsync(long position)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_crashed) throw new IOException("the process is gone");
                if (_durable >= position) return;
            }
            await Task.Delay(1);
        }
    }

    public ValueTask OpenAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    public ulong AllocateInode() => _inner.AllocateInode();
    public ValueTask<InodeRecord?> GetInodeAsync(ulong inode) => _inner.GetInodeAsync(inode);
    public ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name) => _inner.GetEntryAsync(directory, name);
    public ValueTask<byte[]?> GetSymlinkAsync(ulong inode) => _inner.GetSymlinkAsync(inode);
    public ValueTask<byte[]?> GetXattrsAsync(ulong inode) => _inner.GetXattrsAsync(inode);
    public ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name) => _inner.GetVolumeAsync(name);
    public ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max) => _inner.ListEntriesAsync(directory, afterCookie, max);
    public ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block) => _inner.GetBlockAsync(inode, block);
    public ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock) => _inner.ListBlocksAsync(inode, fromBlock);
    public ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment) => _inner.GetSegmentAsync(segment);
    public ulong MaxBlockVersion => _inner.MaxBlockVersion;
    public ValueTask<Guid?> GetFilesystemIdAsync() => _inner.GetFilesystemIdAsync();
    public ValueTask CheckpointAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        return ValueTask.CompletedTask;
    }
}
