using System.Buffers;

namespace DittoFs.Storage.Payload;

/// <summary>
/// Where file bytes live, addressed by inode and offset. The local-disk store
/// is the embedded default; an S3-backed store (block cache in front, async
/// flusher behind) plugs in here later. Holes read as zeros.
/// </summary>
public interface IPayloadStore : IAsyncDisposable
{
    /// <summary>Block size in bytes: objects/files are per block of a file.</summary>
    int BlockSize { get; }

    /// <summary>Reads destination.Length bytes at offset (zeros where nothing was written).</summary>
    ValueTask ReadAsync(ulong inode, ulong offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    /// <summary>Writes data at offset. Not durable until <see cref="FlushAsync"/>.</summary>
    ValueTask WriteAsync(ulong inode, ulong offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Drops bytes past size (so a later extension reads zeros).</summary>
    ValueTask TruncateAsync(ulong inode, ulong size, CancellationToken cancellationToken = default);

    /// <summary>
    /// The blocks in [<paramref name="fromBlock"/>, <paramref name="toBlock"/>) that hold bytes, in order: every
    /// other block is a hole (never written, or punched). A block of zeros written as such stays data.
    /// </summary>
    ValueTask<IReadOnlyList<ulong>> ListDataBlocksAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default);

    /// <summary>Drops whole blocks [<paramref name="fromBlock"/>, <paramref name="toBlock"/>): holes from now on (reading as zeros); durable on return.</summary>
    ValueTask PunchAsync(ulong inode, ulong fromBlock, ulong toBlock, CancellationToken cancellationToken = default);

    /// <summary>Removes all bytes of a file.</summary>
    ValueTask DeleteAsync(ulong inode, CancellationToken cancellationToken = default);

    /// <summary>Makes every write to this file so far durable; concurrent callers share one fsync.</summary>
    ValueTask FlushAsync(ulong inode, CancellationToken cancellationToken = default);

    /// <summary>
    /// The file's change id as the metadata store has it now: a store that caches bytes checks its
    /// copies against the block map when it moved (another server may have written the file).
    /// </summary>
    void Revalidate(ulong inode, ulong changeId)
    {
    }

    /// <summary>
    /// CLONE: makes <paramref name="count"/> whole blocks of <paramref name="dst"/> from <paramref name="dstBlock"/> on
    /// hold what those of <paramref name="src"/> from <paramref name="srcBlock"/> on hold, without moving bytes where the
    /// store can (blocks naming the same immutable object), durable on return. Returns the block indices
    /// (0 .. count-1) whose bytes the caller must copy instead; null: the store shares nothing, copy them all.
    /// </summary>
    ValueTask<List<ulong>?> CloneBlocksAsync(ulong src, ulong srcBlock, ulong dst, ulong dstBlock, ulong count, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<List<ulong>?>(null);

    /// <summary>Capacity for FSSTAT.</summary>
    (ulong Total, ulong Free) GetCapacity();
}
