using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using DittoFs.Server.Buffers;

namespace DittoFs.Server.Rpc;

/// <summary>
/// Reassembles ONC RPC records from TCP record marking (RFC 5531 §11).
///
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-------------------------------------------------------------+
/// |L|            fragment length (31 bits)                        |
/// +-+-------------------------------------------------------------+
/// |                 fragment bytes ...                            |
/// L = 1 on the last fragment of a record.
/// </code>
///
/// Fragment bodies are copied into a pooled buffer as they arrive, so the
/// pipe is consumed as it goes: a record larger than the pipe's pause
/// threshold cannot deadlock the connection, and a slow sender holds only its
/// own partial record. A fragment whose declared length would take the record
/// past the maximum is refused before its body is awaited.
/// </summary>
internal sealed class RecordAssembler(int maxRecordSize) : IDisposable
{
    private byte[]? _record;
    private int _recordLength;
    private int _fragmentRemaining;
    private bool _inFragment;
    private bool _lastFragment;

    /// <summary>True while a record has begun (its mark or some of its bytes arrived) but is not complete.</summary>
    public bool HasPartialRecord => _inFragment || _recordLength > 0;

    /// <summary>
    /// Consumes bytes from <paramref name="buffer"/>. Returns true with a whole record
    /// (a rented array the caller must return to <see cref="BufferPool"/>)
    /// when one is complete; false when more bytes are needed.
    /// Throws <see cref="RecordMarkingException"/> on a record that breaks the limits.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out byte[]? record, out int length)
    {
        while (true)
        {
            if (!_inFragment)
            {
                if (buffer.Length < 4)
                {
                    record = null;
                    length = 0;
                    return false;
                }
                Span<byte> mark = stackalloc byte[4];
                buffer.Slice(0, 4).CopyTo(mark);
                buffer = buffer.Slice(4);
                uint header = BinaryPrimitives.ReadUInt32BigEndian(mark);
                _lastFragment = (header & 0x8000_0000u) != 0;
                uint fragmentLength = header & 0x7FFF_FFFFu;
                if (fragmentLength + (ulong)_recordLength > (ulong)maxRecordSize)
                {
                    RecordMarkingException.Throw($"record of at least {fragmentLength + (ulong)_recordLength} bytes exceeds the maximum of {maxRecordSize}");
                }
                if (fragmentLength == 0 && !_lastFragment)
                {
                    // An empty non-final fragment makes no progress: a client could spin us forever.
                    RecordMarkingException.Throw("empty non-final fragment");
                }
                _fragmentRemaining = (int)fragmentLength;
                _inFragment = true;
            }

            if (_fragmentRemaining > 0)
            {
                int take = (int)Math.Min(_fragmentRemaining, buffer.Length);
                // Grow with the bytes that arrived, not the declared length: a lying mark costs us nothing.
                EnsureCapacity(_recordLength + take);
                buffer.Slice(0, take).CopyTo(_record.AsSpan(_recordLength));
                buffer = buffer.Slice(take);
                _recordLength += take;
                _fragmentRemaining -= take;
                if (_fragmentRemaining > 0)
                {
                    record = null;
                    length = 0;
                    return false;
                }
            }

            _inFragment = false;
            if (!_lastFragment) continue;

            record = _record ?? [];
            length = _recordLength;
            _record = null;
            _recordLength = 0;
            if (length == 0)
            {
                RecordMarkingException.Throw("empty record");
            }
            return true;
        }
    }

    private void EnsureCapacity(int size)
    {
        if (_record is not null && _record.Length >= size) return;
        int capacity = Math.Max(size, Math.Min(maxRecordSize, Math.Max(512, (_record?.Length ?? 0) * 2)));
        byte[] bigger = BufferPool.Rent(capacity);
        if (_record is not null)
        {
            _record.AsSpan(0, _recordLength).CopyTo(bigger);
            BufferPool.Return(_record);
        }
        _record = bigger;
    }

    public void Dispose()
    {
        if (_record is not null) BufferPool.Return(_record);
        _record = null;
    }
}

/// <summary>The record marking was broken: the connection must be closed.</summary>
internal sealed class RecordMarkingException(string message) : Exception(message)
{
    [DoesNotReturn]
    public static void Throw(string message) => throw new RecordMarkingException(message);
}
