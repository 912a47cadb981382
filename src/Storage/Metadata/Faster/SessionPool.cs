using System.Collections.Concurrent;
using FASTER.core;
using Session = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByteAndMemory, FASTER.core.Empty, FASTER.core.SpanByteFunctions<FASTER.core.Empty>>;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// FASTER sessions are single-threaded: each operation rents one, uses it
/// synchronously on the calling thread and gives it back. The pool grows to
/// the peak concurrency and keeps the sessions (they are cheap to keep, not to make).
/// </summary>
internal sealed class SessionPool(FasterKV<SpanByte, SpanByte> store) : IDisposable
{
    private readonly SpanByteFunctions<Empty> _functions = new();
    private readonly ConcurrentStack<Session> _free = new();
    private readonly ConcurrentQueue<Session> _all = new();

    public Session Rent()
    {
        if (_free.TryPop(out var session)) return session;
        session = store.For(_functions).NewSession<SpanByteFunctions<Empty>>();
        _all.Enqueue(session);
        return session;
    }

    public void Return(Session session) => _free.Push(session);

    public void Dispose()
    {
        while (_all.TryDequeue(out var session)) session.Dispose();
        _free.Clear();
    }
}
