using System.Buffers;

namespace DittoFs.Storage.Payload;

/// <summary><see cref="IPayloadStore"/> in memory, for tests: sparse blocks per inode, flush is a no-op.</summary>
public sealed class InMemoryPayloadStore(int blockSize = 64 * 1024) : IPayloadStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Dictionary<ulong, byte[]>> _files = [];

    public int BlockSize { get; } = blockSize;

    /// <summary>Capacity reported to GetCapacity.</summary>
    public (ulong Total, ulong Free) Capacity { get; set; } = (1UL << 40, 1UL << 39);

    /// <summary>Number of inodes that hold any block (for tests that check deletion).</summary>
    public int FileCount
    {
        get { lock (_lock) return _files.Count; }
    }

    public ValueTask ReadAsync(ulong inode, ulong offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _files.TryGetValue(inode, out Dictionary<ulong, byte[]>? blocks);
            Span<byte> dest = destination.Span;
            while (!dest.IsEmpty)
            {
                (ulong index, int within, int n) = Piece(offset, dest.Length);
                if (blocks is not null && blocks.TryGetValue(index, out byte[]? block)) block.AsSpan(within, n).CopyTo(dest);
                else dest[..n].Clear();
                dest = dest[n..];
                offset += (ulong)n;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(ulong inode, ulong offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_files.TryGetValue(inode, out Dictionary<ulong, byte[]>? blocks)) _files[inode] = blocks = [];
            foreach (ReadOnlyMemory<byte> segment in data)
            {
                ReadOnlySpan<byte> src = segment.Span;
                while (!src.IsEmpty)
                {
                    (ulong index, int within, int n) = Piece(offset, src.Length);
                    if (!blocks.TryGetValue(index, out byte[]? block)) blocks[index] = block = new byte[BlockSize];
                    src[..n].CopyTo(block.AsSpan(within));
                    src = src[n..];
                    offset += (ulong)n;
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask TruncateAsync(ulong inode, ulong size, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_files.TryGetValue(inode, out Dictionary<ulong, byte[]>? blocks)) return ValueTask.CompletedTask;
            ulong bs = (ulong)BlockSize;
            foreach (ulong index in blocks.Keys.Where(i => i * bs >= size).ToList()) blocks.Remove(index);
            if (size % bs != 0 && blocks.TryGetValue(size / bs, out byte[]? last)) last.AsSpan((int)(size % bs)).Clear();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<ulong>> ListDataBlocksAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<ulong> found = _files.TryGetValue(inode, out Dictionary<ulong, byte[]>? blocks)
                ? blocks.Keys.Where(b => b >= fromBlock && b < toBlock).Order().ToList()
                : [];
            return new(found);
        }
    }

    public ValueTask PunchAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_files.TryGetValue(inode, out Dictionary<ulong, byte[]>? blocks))
            {
                foreach (ulong index in blocks.Keys.Where(b => b >= fromBlock && b < toBlock).ToList()) blocks.Remove(index);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAsync(ulong inode, CancellationToken cancellationToken = default)
    {
        lock (_lock) _files.Remove(inode);
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(ulong inode, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public (ulong Total, ulong Free) GetCapacity() => Capacity;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The block, offset within it and byte count of the piece of a range that starts at offset.</summary>
    private (ulong Index, int Within, int Count) Piece(ulong offset, int length)
    {
        ulong index = offset / (ulong)BlockSize;
        int within = (int)(offset % (ulong)BlockSize);
        return (index, within, Math.Min(length, BlockSize - within));
    }
}
