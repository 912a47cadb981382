using Microsoft.Win32.SafeHandles;

namespace DittoFs.Storage.Payload;

/// <summary>
/// A bounded LRU of open block-file handles. Handles are reference counted: an
/// evicted or removed handle closes only when its last user releases it.
/// </summary>
internal sealed class HandleCache(int capacity) : IDisposable
{
    internal sealed class Entry(ulong inode, ulong block, SafeFileHandle handle)
    {
        public readonly ulong Inode = inode;
        public readonly ulong Block = block;
        public readonly SafeFileHandle Handle = handle;
        public int Refs;
        public bool Detached;
        public LinkedListNode<Entry>? Node;
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<(ulong Inode, ulong Block), Entry> _map = [];
    private readonly LinkedList<Entry> _lru = new(); // most recently used first

    public bool TryAcquire(ulong inode, ulong block, out Lease lease)
    {
        lock (_lock)
        {
            if (_map.TryGetValue((inode, block), out Entry? entry))
            {
                entry.Refs++;
                _lru.Remove(entry.Node!);
                _lru.AddFirst(entry.Node!);
                lease = new Lease(this, entry);
                return true;
            }
        }
        lease = default;
        return false;
    }

    /// <summary>Caches a freshly opened handle (or, if another thread won the race, closes it and uses theirs).</summary>
    public Lease Add(ulong inode, ulong block, SafeFileHandle handle)
    {
        lock (_lock)
        {
            if (_map.TryGetValue((inode, block), out Entry? existing))
            {
                handle.Dispose();
                existing.Refs++;
                return new Lease(this, existing);
            }
            var entry = new Entry(inode, block, handle) { Refs = 1 };
            entry.Node = _lru.AddFirst(entry);
            _map[(inode, block)] = entry;
            while (_map.Count > capacity && _lru.Last is { } oldest) Detach(oldest.Value);
            return new Lease(this, entry);
        }
    }

    /// <summary>Forgets the handles of an inode's blocks at or past <paramref name="fromBlock"/> (they are about to be deleted).</summary>
    public void Remove(ulong inode, ulong fromBlock = 0)
    {
        lock (_lock)
        {
            List<Entry>? doomed = null;
            foreach (Entry entry in _lru)
            {
                if (entry.Inode == inode && entry.Block >= fromBlock) (doomed ??= []).Add(entry);
            }
            if (doomed is null) return;
            foreach (Entry entry in doomed) Detach(entry);
        }
    }

    /// <summary>Forgets the handle of one block (its file is about to be deleted or replaced).</summary>
    public void RemoveOne(ulong inode, ulong block)
    {
        lock (_lock)
        {
            if (_map.TryGetValue((inode, block), out Entry? entry)) Detach(entry);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            while (_lru.First is { } first) Detach(first.Value);
        }
    }

    private void Release(Entry entry)
    {
        lock (_lock)
        {
            if (--entry.Refs == 0 && entry.Detached) entry.Handle.Dispose();
        }
    }

    private void Detach(Entry entry)
    {
        _map.Remove((entry.Inode, entry.Block));
        _lru.Remove(entry.Node!);
        entry.Detached = true;
        if (entry.Refs == 0) entry.Handle.Dispose();
    }

    /// <summary>A use of a cached handle; dispose to release it.</summary>
    internal readonly struct Lease(HandleCache cache, Entry entry) : IDisposable
    {
        public SafeFileHandle Handle => entry.Handle;
        public void Dispose() => cache?.Release(entry);
    }
}
