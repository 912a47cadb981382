using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.ObjectPool;

namespace DittoFs.Server.Buffers;

/// <summary>
/// A growable buffer for one RPC reply, rented from a pool so steady-state
/// replies allocate nothing. The first 4 bytes are kept for the record mark,
/// written by <see cref="SealRecord"/> once the reply length is known.
/// </summary>
internal sealed class ReplyBuffer : IBufferWriter<byte>
{
    private const int RecordMarkSize = 4;
    private const int InitialSize = 4096;
    private const int MaxPooled = 256;
    // Not a ConcurrentBag: its Count (to bound the pool) locks every thread's list on every reply.
    private static readonly DefaultObjectPool<ReplyBuffer> s_pool = new(new DefaultPooledObjectPolicy<ReplyBuffer>(), MaxPooled);

    private byte[] _buffer = BufferPool.Rent(InitialSize);
    private int _written = RecordMarkSize;

    public static ReplyBuffer Rent() => s_pool.Get();

    public static void Return(ReplyBuffer buffer)
    {
        buffer._written = RecordMarkSize;
        if (buffer._buffer.Length >= BufferPool.LargeThreshold)
        {
            // Do not keep a 1 MiB READ buffer per pooled object: the large pool shares (and frees) them.
            BufferPool.Return(buffer._buffer);
            buffer._buffer = BufferPool.Rent(InitialSize);
        }
        s_pool.Return(buffer); // past MaxPooled it is dropped, its array left to the GC
    }

    /// <summary>Reply bytes written so far (without the record mark).</summary>
    public int BodyLength => _written - RecordMarkSize;

    /// <summary>The reply bytes written so far (without the record mark).</summary>
    public ReadOnlySpan<byte> Body => _buffer.AsSpan(RecordMarkSize, BodyLength);

    /// <summary>The big-endian word at <paramref name="offset"/> of the reply body, if written (metrics read statuses here).</summary>
    public bool TryReadBodyWord(int offset, out uint value)
    {
        if (offset < 0 || offset + 4 > BodyLength)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(RecordMarkSize + offset));
        return true;
    }

    /// <summary>Drops what was written (to write an error reply instead).</summary>
    public void Reset() => _written = RecordMarkSize;

    /// <summary>The reply bytes written so far (without the record mark): NFSv4.1 patches counts in it and copies it into its slot reply cache.</summary>
    public Span<byte> WrittenBody => _buffer.AsSpan(RecordMarkSize, BodyLength);

    /// <summary>Drops everything written after the first <paramref name="bodyLength"/> bytes (an NFSv4.1 replay writes the cached reply instead).</summary>
    public void Truncate(int bodyLength) => _written = RecordMarkSize + Math.Min(bodyLength, BodyLength);

    /// <summary>Writes the record mark (one last fragment) and returns the whole record.</summary>
    public ReadOnlyMemory<byte> SealRecord()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer, 0x8000_0000u | (uint)BodyLength);
        return _buffer.AsMemory(0, _written);
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed) return;
        byte[] bigger = BufferPool.Rent((int)Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, (long)_written + needed)));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        BufferPool.Return(_buffer);
        _buffer = bigger;
    }
}
