using System.Collections.Concurrent;
using System.Net;

namespace DittoFs.Server.Rpc;

/// <summary>
/// The duplicate request cache (as knfsd's and ganesha's DRC): a client that
/// retransmits a non-idempotent call (after a reconnect or a timeout) gets
/// the reply of the first execution instead of a second execution — a
/// retried REMOVE must not answer NOENT, a retried exclusive CREATE must not
/// answer EXIST. Keyed by client address (not port: the retry often comes on
/// a new connection), xid, program/version/procedure and a hash of the
/// arguments. Bounded in entries and age.
/// </summary>
internal sealed class ReplyCache(int capacity = 8192, TimeSpan? lifetime = null)
{
    private readonly TimeSpan _lifetime = lifetime ?? TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly ConcurrentQueue<Key> _order = new();

    private readonly record struct Key(IPAddress? Client, uint Xid, uint Program, uint Version, uint Procedure, int ArgumentsHash);

    private sealed class Entry(long created)
    {
        public readonly long Created = created;
        /// <summary>Null while the first execution is still running.</summary>
        public byte[]? Reply;
    }

    public enum Lookup { New, InProgress, Replay }

    /// <summary>
    /// New: the caller runs the call and must <see cref="Complete"/> or <see cref="Abandon"/> it.
    /// InProgress: the first copy still runs; drop this one (the client retries again).
    /// Replay: <paramref name="reply"/> holds the record to send again.
    /// </summary>
    public Lookup Begin(RpcCall call, out byte[]? reply)
    {
        Key key = KeyOf(call);
        long now = Environment.TickCount64;
        var fresh = new Entry(now);
        Entry entry = _entries.GetOrAdd(key, fresh);
        if (ReferenceEquals(entry, fresh))
        {
            _order.Enqueue(key);
            Trim(now);
            reply = null;
            return Lookup.New;
        }
        if (now - entry.Created > _lifetime.TotalMilliseconds)
        {
            // An old entry for a reused xid: a new call, not a retransmission.
            _entries[key] = fresh;
            reply = null;
            return Lookup.New;
        }
        reply = Volatile.Read(ref entry.Reply);
        return reply is null ? Lookup.InProgress : Lookup.Replay;
    }

    /// <summary>Keeps a copy of the reply record (with its record mark) for retransmissions.</summary>
    public void Complete(RpcCall call, ReadOnlySpan<byte> record)
    {
        if (_entries.TryGetValue(KeyOf(call), out Entry? entry)) Volatile.Write(ref entry.Reply, record.ToArray());
    }

    /// <summary>No reply was produced: forget the call so a retry runs it.</summary>
    public void Abandon(RpcCall call) => _entries.TryRemove(KeyOf(call), out _);

    private void Trim(long now)
    {
        while (_entries.Count > capacity || (_order.TryPeek(out Key oldest) && IsExpired(oldest, now)))
        {
            if (!_order.TryDequeue(out Key key)) break;
            _entries.TryRemove(key, out _);
        }
    }

    private bool IsExpired(Key key, long now) =>
        !_entries.TryGetValue(key, out Entry? e) || now - e.Created > _lifetime.TotalMilliseconds;

    private static Key KeyOf(RpcCall call) => new(
        call.Connection.RemoteEndPoint?.Address,
        call.Header.Xid,
        call.Header.Program,
        call.Header.Version,
        call.Header.Procedure,
        HashArguments(call.Arguments.Span));

    private static int HashArguments(ReadOnlySpan<byte> arguments)
    {
        var hash = new HashCode();
        hash.AddBytes(arguments);
        return hash.ToHashCode();
    }
}
