using System.Text;

namespace DittoFs.Storage.Metadata;

/// <summary>
/// <see cref="IMetadataStore"/> on dictionaries, for tests: every batch is "durable" at once.
/// Each directory keeps its entries in a list sorted by cookie (cookies only grow, so inserts
/// append), so a page is a binary search plus a short walk.
/// </summary>
public sealed class InMemoryMetadataStore : IMetadataStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, InodeRecord> _inodes = [];
    // Names are keyed as Latin-1 strings: a bijection of bytes to chars, so any byte name round-trips.
    private readonly Dictionary<(ulong Directory, string Name), EntryRecord> _entries = [];
    private readonly Dictionary<ulong, SortedList<ulong, DirEntryRecord>> _pages = [];
    private readonly Dictionary<ulong, byte[]> _symlinks = [];
    private readonly Dictionary<ulong, byte[]> _xattrs = [];
    private readonly Dictionary<string, VolumeRecord> _volumes = [];
    private readonly Dictionary<ulong, SortedDictionary<ulong, BlockRecord>> _blocks = [];
    private Guid? _filesystemId;
    private ulong _maxBlockVersion;
    private readonly Dictionary<ulong, SegmentRecord> _segments = [];
    private long _nextInode;
    private long _position;
    // The precondition checks' reads, made once: lambdas capturing this would allocate per batch.
    private readonly Func<ulong, InodeRecord?> _readInode;
    private readonly Func<ulong, byte[], EntryRecord?> _readEntry;
    private readonly Func<byte[], VolumeRecord?> _readVolume;

    public InMemoryMetadataStore()
    {
        _readInode = i => _inodes.TryGetValue(i, out InodeRecord r) ? r : null;
        _readEntry = (d, n) => _entries.TryGetValue((d, Key(n)), out EntryRecord e) ? e : null;
        _readVolume = n => _volumes.TryGetValue(Key(n), out VolumeRecord v) ? v : null;
    }

    public ValueTask OpenAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ulong AllocateInode() => (ulong)Interlocked.Increment(ref _nextInode);

    public ValueTask<InodeRecord?> GetInodeAsync(ulong inode)
    {
        lock (_lock) return new(_inodes.TryGetValue(inode, out InodeRecord r) ? r : null);
    }

    public ValueTask<EntryRecord?> GetEntryAsync(ulong directory, ReadOnlyMemory<byte> name)
    {
        lock (_lock) return new(_entries.TryGetValue((directory, Key(name.Span)), out EntryRecord e) ? e : null);
    }

    public ValueTask<byte[]?> GetSymlinkAsync(ulong inode)
    {
        lock (_lock) return new(_symlinks.TryGetValue(inode, out byte[]? t) ? t : null);
    }

    public ValueTask<byte[]?> GetXattrsAsync(ulong inode)
    {
        lock (_lock) return new(_xattrs.TryGetValue(inode, out byte[]? x) ? x : null);
    }

    public ValueTask<VolumeRecord?> GetVolumeAsync(ReadOnlyMemory<byte> name)
    {
        lock (_lock) return new(_volumes.TryGetValue(Key(name.Span), out VolumeRecord v) ? v : null);
    }

    public ValueTask<IReadOnlyList<DirEntryRecord>> ListEntriesAsync(ulong directory, ulong afterCookie, int max)
    {
        var result = new List<DirEntryRecord>();
        lock (_lock)
        {
            if (max <= 0 || !_pages.TryGetValue(directory, out SortedList<ulong, DirEntryRecord>? page)) return new(result);
            IList<ulong> cookies = page.Keys;
            int lo = 0, hi = cookies.Count; // first index with cookie > afterCookie
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (cookies[mid] <= afterCookie) lo = mid + 1;
                else hi = mid;
            }
            for (int i = lo; i < cookies.Count && result.Count < max; i++) result.Add(page.Values[i]);
        }
        return new(result);
    }

    public ValueTask<BlockRecord?> GetBlockAsync(ulong inode, ulong block)
    {
        lock (_lock) return new(_blocks.TryGetValue(inode, out var blocks) && blocks.TryGetValue(block, out BlockRecord r) ? r : null);
    }

    public ValueTask<IReadOnlyList<BlockEntry>> ListBlocksAsync(ulong inode, ulong fromBlock)
    {
        lock (_lock)
        {
            var list = new List<BlockEntry>();
            if (_blocks.TryGetValue(inode, out var blocks))
            {
                foreach (var (block, record) in blocks)
                {
                    if (block >= fromBlock) list.Add(new BlockEntry(block, record));
                }
            }
            return new(list);
        }
    }

    public ValueTask<IReadOnlyList<BlockEntry>> ListBlockRangeAsync(ulong inode, ulong fromBlock, ulong toBlock)
    {
        lock (_lock)
        {
            var list = new List<BlockEntry>();
            if (_blocks.TryGetValue(inode, out var blocks))
            {
                foreach (var (block, record) in blocks)
                {
                    if (block >= fromBlock && block < toBlock) list.Add(new BlockEntry(block, record));
                }
            }
            return new(list);
        }
    }

    public ValueTask<SegmentRecord?> GetSegmentAsync(ulong segment)
    {
        lock (_lock) return new(_segments.TryGetValue(segment, out SegmentRecord r) ? r : null);
    }

    public ulong MaxBlockVersion
    {
        get { lock (_lock) return _maxBlockVersion; }
    }

    public ValueTask<Guid?> GetFilesystemIdAsync()
    {
        lock (_lock) return new(_filesystemId);
    }

    public ValueTask<long> ApplyAsync(MetadataOp[] ops)
    {
        lock (_lock)
        {
            if (!MetadataConflict.Holds(ops, _readInode, _readEntry, _readVolume) || !SegmentsPresent(ops))
            {
                return new(MetadataConflict.Position);
            }
            foreach (MetadataOp op in ops)
            {
                if (!op.IsPrecondition) Apply(op);
            }
            return new(++_position);
        }
    }

    /// <summary>AddToSegment's rule: a positive delta names bytes of a segment that must still exist (or be created).</summary>
    private bool SegmentsPresent(MetadataOp[] ops)
    {
        foreach (MetadataOp op in ops)
        {
            if (op.Kind == MetadataOpKind.AddToSegment && unchecked((long)op.Cookie) > 0 && op.SegmentRecord.Live <= 0
                && !_segments.ContainsKey(op.Block))
            {
                return false;
            }
        }
        return true;
    }

    public ValueTask WaitDurableAsync(long position) => ValueTask.CompletedTask;

    public ValueTask CheckpointAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Number of inodes (for tests that check nothing leaks).</summary>
    public int InodeCount
    {
        get { lock (_lock) return _inodes.Count; }
    }

    private void Apply(in MetadataOp op)
    {
        switch (op.Kind)
        {
            case MetadataOpKind.PutInode:
                _inodes[op.Record.Inode] = op.Record;
                break;
            case MetadataOpKind.DeleteInode:
                _inodes.Remove(op.Inode);
                _symlinks.Remove(op.Inode);
                _xattrs.Remove(op.Inode);
                _pages.Remove(op.Inode);
                break;
            case MetadataOpKind.PutEntry:
            {
                string key = Key(op.Name);
                if (_entries.TryGetValue((op.Directory, key), out EntryRecord old)) RemoveFromPage(op.Directory, old.Cookie);
                _entries[(op.Directory, key)] = new EntryRecord(op.Inode, op.Cookie);
                if (!_pages.TryGetValue(op.Directory, out SortedList<ulong, DirEntryRecord>? page))
                {
                    _pages[op.Directory] = page = [];
                }
                page[op.Cookie] = new DirEntryRecord(op.Cookie, op.Name, op.Inode);
                break;
            }
            case MetadataOpKind.DeleteEntry:
                if (_entries.Remove((op.Directory, Key(op.Name)), out EntryRecord removed)) RemoveFromPage(op.Directory, removed.Cookie);
                break;
            case MetadataOpKind.PutSymlink:
                _symlinks[op.Inode] = op.Data;
                break;
            case MetadataOpKind.PutXattrs:
                if (op.Data.Length == 0) _xattrs.Remove(op.Inode);
                else _xattrs[op.Inode] = op.Data;
                break;
            case MetadataOpKind.DropBlockRange:
                if (_blocks.TryGetValue(op.Inode, out var punched))
                {
                    (ulong from, ulong to) = (op.Block, op.Cookie);
                    foreach (ulong block in punched.Keys.Where(b => b >= from && b < to).ToList()) punched.Remove(block);
                    if (punched.Count == 0) _blocks.Remove(op.Inode);
                }
                break;
            case MetadataOpKind.PutVolume:
                _volumes[Key(op.Name)] = new VolumeRecord(op.Volume, op.Inode);
                break;
            case MetadataOpKind.PutBlock:
                if (!_blocks.TryGetValue(op.Inode, out var blocks)) _blocks[op.Inode] = blocks = [];
                blocks[op.Block] = op.BlockRecord;
                _maxBlockVersion = Math.Max(_maxBlockVersion, op.BlockRecord.Version);
                break;
            case MetadataOpKind.DropBlocks:
                if (_blocks.TryGetValue(op.Inode, out var dropped))
                {
                    ulong from = op.Block;
                    foreach (ulong block in dropped.Keys.Where(b => b >= from).ToList()) dropped.Remove(block);
                    if (dropped.Count == 0) _blocks.Remove(op.Inode);
                }
                break;
            case MetadataOpKind.PutSegment:
                if (op.SegmentRecord.Live <= 0) _segments.Remove(op.Block);
                else _segments[op.Block] = op.SegmentRecord;
                _maxBlockVersion = Math.Max(_maxBlockVersion, op.Block);
                break;
            case MetadataOpKind.AddToSegment:
            {
                SegmentRecord? found = _segments.TryGetValue(op.Block, out SegmentRecord r) ? r : op.SegmentRecord.Live > 0 ? op.SegmentRecord : null;
                if (found is not { } record) break; // released bytes of a segment already gone
                long live = record.Live + unchecked((long)op.Cookie);
                if (live <= 0) _segments.Remove(op.Block);
                else _segments[op.Block] = record with { Live = live };
                break;
            }
            case MetadataOpKind.PutFilesystemId:
                _filesystemId = new Guid(op.Data);
                break;
            default:
                throw new InvalidOperationException($"Unknown metadata op {op.Kind}");
        }
    }

    private void RemoveFromPage(ulong directory, ulong cookie)
    {
        if (_pages.TryGetValue(directory, out SortedList<ulong, DirEntryRecord>? page)) page.Remove(cookie);
    }

    private static string Key(ReadOnlySpan<byte> name) => Encoding.Latin1.GetString(name);
}
