using System.Buffers.Binary;
using DittoFs.Storage.Payload;
using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Cache;

/// <summary>
/// The durable block map: an append-only log of fixed-size records, replayed at start-up and
/// rewritten compacted. A State record says which object version holds a block (0 = none) and
/// whether the local block file is newer than it (dirty: the file was fsynced before the record was
/// appended, so recovery may upload it). A Drop record forgets an inode's blocks from an index on.
/// Appends go to memory; <see cref="CommitAsync"/> writes and fsyncs them, one round for every
/// caller waiting at the time (group commit).
/// <code>
///  0      1       4        12       20         28      32       36       40
///  | kind | flags | inode  | block  | version  | crc   | length | crc32c of [0,36) |
/// </code>
/// </summary>
internal sealed class BlockJournal : IDisposable
{
    public const int RecordSize = 40;

    public enum Kind : byte { State = 1, Drop = 2 }

    public readonly record struct Record(Kind Kind, ulong Inode, ulong Block, ulong Version = 0, uint Crc = 0, int Length = 0, bool Dirty = false);

    private readonly string _path;
    private readonly Lock _lock = new();
    // Held around file I/O (commit rounds, rewrites); taken before _lock when both are needed.
    private readonly Lock _ioLock = new();
    private long _epoch;
    private SafeFileHandle _file;
    private long _position;
    private byte[] _pending = new byte[64 * 1024];
    private int _pendingLength;
    private byte[] _spare = new byte[64 * 1024];
    private long _appended;
    private long _durable;
    private TaskCompletionSource? _round;
    private bool _running;

    /// <summary>Writes <paramref name="snapshot"/> as the whole journal (durably, by rename) and opens it for appends.</summary>
    public BlockJournal(string path, IEnumerable<Record> snapshot)
    {
        _path = path;
        _file = WriteSnapshot(path, snapshot);
        _position = RandomAccess.GetLength(_file);
    }

    /// <summary>
    /// Replaces the journal with <paramref name="snapshot"/>, which must describe every record
    /// appended so far (the caller holds the lock that orders appends). Records not yet written are
    /// superseded by it; commits waiting for them complete.
    /// </summary>
    public void Rewrite(IEnumerable<Record> snapshot)
    {
        lock (_ioLock)
        {
            lock (_lock)
            {
                _pendingLength = 0;
                _epoch++;
            }
            _file.Dispose();
            _file = WriteSnapshot(_path, snapshot);
            Volatile.Write(ref _position, RandomAccess.GetLength(_file));
            lock (_lock) _durable = _appended;
        }
    }

    private static SafeFileHandle WriteSnapshot(string path, IEnumerable<Record> snapshot)
    {
        string tmp = path + ".tmp";
        using (SafeFileHandle h = File.OpenHandle(tmp, FileMode.Create, FileAccess.ReadWrite))
        {
            byte[] buffer = new byte[RecordSize * 1024];
            int used = 0;
            long position = 0;
            foreach (Record r in snapshot)
            {
                Encode(r, buffer.AsSpan(used, RecordSize));
                used += RecordSize;
                if (used == buffer.Length)
                {
                    RandomAccess.Write(h, buffer, position);
                    position += used;
                    used = 0;
                }
            }
            RandomAccess.Write(h, buffer.AsSpan(0, used), position);
            RandomAccess.FlushToDisk(h);
        }
        File.Move(tmp, path, overwrite: true);
        FileSync.Directory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
    }

    /// <summary>Bytes on disk (for compaction decisions and tests).</summary>
    public long Length => Volatile.Read(ref _position);

    /// <summary>The records of a journal, up to the first torn or corrupt one.</summary>
    public static List<Record> Load(string path)
    {
        var records = new List<Record>();
        if (!File.Exists(path)) return records;
        byte[] all = File.ReadAllBytes(path);
        for (int at = 0; at + RecordSize <= all.Length; at += RecordSize)
        {
            if (!TryDecode(all.AsSpan(at, RecordSize), out Record r)) break;
            records.Add(r);
        }
        return records;
    }

    public void Append(in Record record)
    {
        lock (_lock)
        {
            if (_pendingLength + RecordSize > _pending.Length) Array.Resize(ref _pending, _pending.Length * 2);
            Encode(record, _pending.AsSpan(_pendingLength, RecordSize));
            _pendingLength += RecordSize;
            _appended++;
        }
    }

    /// <summary>Completes once every record appended before the call is on disk.</summary>
    public Task CommitAsync()
    {
        TaskCompletionSource round;
        bool start = false;
        lock (_lock)
        {
            if (_durable == _appended) return Task.CompletedTask;
            round = _round ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_running)
            {
                _running = true;
                start = true;
            }
        }
        if (start) _ = Task.Run(CommitLoop);
        return round.Task;
    }

    private void CommitLoop()
    {
        while (true)
        {
            TaskCompletionSource round;
            byte[] buffer;
            int length;
            long sequence;
            long epoch;
            lock (_lock)
            {
                if (_round is null)
                {
                    _running = false;
                    return;
                }
                round = _round;
                _round = null;
                buffer = _pending;
                length = _pendingLength;
                sequence = _appended;
                epoch = _epoch;
                _pending = _spare;
                _pendingLength = 0;
            }
            try
            {
                lock (_ioLock)
                {
                    // A rewrite since these records were taken covers them: nothing to write.
                    if (epoch == Volatile.Read(ref _epoch))
                    {
                        RandomAccess.Write(_file, buffer.AsSpan(0, length), _position);
                        RandomAccess.FlushToDisk(_file);
                        Volatile.Write(ref _position, _position + length);
                    }
                    lock (_lock)
                    {
                        _durable = Math.Max(_durable, sequence);
                        _spare = buffer;
                    }
                }
                round.SetResult();
            }
            catch (Exception e)
            {
                // Put the records back in front of what was appended meanwhile; the next commit retries them.
                lock (_lock)
                {
                    if (epoch != _epoch) length = 0; // superseded by a rewrite
                    byte[] merged = new byte[Math.Max(buffer.Length, length + _pendingLength) * 2];
                    buffer.AsSpan(0, length).CopyTo(merged);
                    _pending.AsSpan(0, _pendingLength).CopyTo(merged.AsSpan(length));
                    _spare = _pending;
                    _pending = merged;
                    _pendingLength += length;
                }
                round.SetException(e);
            }
        }
    }

    private static void Encode(in Record r, Span<byte> d)
    {
        d.Clear();
        d[0] = (byte)r.Kind;
        d[1] = r.Dirty ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(d[4..], r.Inode);
        BinaryPrimitives.WriteUInt64LittleEndian(d[12..], r.Block);
        BinaryPrimitives.WriteUInt64LittleEndian(d[20..], r.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(d[28..], r.Crc);
        BinaryPrimitives.WriteInt32LittleEndian(d[32..], r.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(d[36..], Crc32C.Compute(d[..36]));
    }

    private static bool TryDecode(ReadOnlySpan<byte> d, out Record r)
    {
        r = default;
        if (BinaryPrimitives.ReadUInt32LittleEndian(d[36..]) != Crc32C.Compute(d[..36])) return false;
        var kind = (Kind)d[0];
        if (kind is not (Kind.State or Kind.Drop)) return false;
        r = new Record(kind,
            BinaryPrimitives.ReadUInt64LittleEndian(d[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(d[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(d[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(d[28..]),
            BinaryPrimitives.ReadInt32LittleEndian(d[32..]),
            (d[1] & 1) != 0);
        return true;
    }

    public void Dispose()
    {
        try
        {
            CommitAsync().Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Not durable: the data it described was not committed by a client either.
        }
        _file.Dispose();
    }
}
