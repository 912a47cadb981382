using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// The locks of namespace changes (CREATE, REMOVE, RENAME, LINK, and the other read-modify-writes of an inode
// image: xattrs, publish, clone, allocate, the orphan list). Each change locks only the inodes whose images it
// reads and writes back, each once, in ascending inode number, so two changes never wait on each other in a
// cycle; a directory changed by a delta (AddToDirectory on a shared store) is not locked at all. A cross-directory
// rename of a directory first takes the one rename lock (Linux's s_vfs_rename_mutex): no other directory changes
// parent while it checks that its target does not lie below the directory it moves.
//
// Lock order: a file's stripe (WRITE, SETATTR), then the rename lock, then inode locks, then a mutation slot of a
// bounded store. Nothing waits for a stripe or the rename lock while holding an inode lock, and nothing holds one
// across a wait for durability. The locks only spare this server conflicts: the batches' preconditions are
// what guard the store (several servers on one database share no lock).
public sealed partial class FileSystem
{
    private const int LockShardCount = 64;

    // The gates of the inodes some change holds or waits for; an inode's gate leaves its shard with its last user.
    private readonly LockShard[] _lockShards = CreateLockShards();
    private readonly SemaphoreSlim _renameLock = new(1, 1);
    // Volume creation (rare): the counter and the name are checked by the batch anyway.
    private readonly SemaphoreSlim _volumeLock = new(1, 1);
    // A store whose mutations each take a scarce resource (a pooled database connection) bounds how many run at
    // once; null: no bound (the embedded stores apply in memory and wait for durability outside any lock).
    private readonly SemaphoreSlim? _mutationSlots;

    private sealed class InodeGate
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int Users; // holders and waiters, counted under the shard's lock
    }

    private sealed class LockShard
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<ulong, InodeGate> Gates = [];
        public readonly Stack<InodeGate> Spare = new();
    }

    private static LockShard[] CreateLockShards()
    {
        var shards = new LockShard[LockShardCount];
        for (int i = 0; i < shards.Length; i++) shards[i] = new LockShard();
        return shards;
    }

    /// <summary>Inode locks held by one change (released by Dispose, in reverse order).</summary>
    private readonly struct HeldLocks(FileSystem fs, ulong[] inodes, InodeGate[] gates, int count, bool rename, bool slot) : IDisposable
    {
        /// <summary>Whether the change holds the lock of <paramref name="inode"/>.</summary>
        public bool Holds(ulong inode) => Array.IndexOf(inodes, inode, 0, count) >= 0;

        public void Dispose()
        {
            if (fs is null) return;
            if (slot) fs._mutationSlots!.Release();
            for (int i = count - 1; i >= 0; i--) fs.Leave(inodes[i], gates[i]);
            if (rename) fs._renameLock.Release();
        }
    }

    /// <summary>
    /// Locks the given inodes (0: none; duplicates once) in ascending order, after the rename lock if
    /// <paramref name="rename"/>, then takes a mutation slot if the store bounds them.
    /// </summary>
    private async ValueTask<HeldLocks> LockAsync(ulong a, ulong b = 0, ulong c = 0, ulong d = 0, ulong e = 0, bool rename = false)
    {
        ulong[] inodes = [a, b, c, d, e];
        Array.Sort(inodes);
        int count = 0;
        for (int i = 0; i < inodes.Length; i++)
        {
            if (inodes[i] != 0 && (count == 0 || inodes[count - 1] != inodes[i])) inodes[count++] = inodes[i];
        }
        if (rename) await _renameLock.WaitAsync().ConfigureAwait(false);
        var gates = new InodeGate[count];
        for (int i = 0; i < count; i++)
        {
            gates[i] = Enter(inodes[i]);
            await gates[i].Semaphore.WaitAsync().ConfigureAwait(false);
        }
        if (_mutationSlots is { } slots) await slots.WaitAsync().ConfigureAwait(false);
        return new HeldLocks(this, inodes, gates, count, rename, _mutationSlots is not null);
    }

    /// <summary>The inode to lock for a change of directory <paramref name="dir"/>: none where it changes by a delta (a shared store).</summary>
    private ulong ImageLocked(ulong dir) => _store.IsShared ? 0 : dir;

    private InodeGate Enter(ulong inode)
    {
        LockShard shard = _lockShards[inode % LockShardCount];
        lock (shard.Gate)
        {
            if (!shard.Gates.TryGetValue(inode, out InodeGate? gate))
            {
                gate = shard.Spare.TryPop(out InodeGate? spare) ? spare : new InodeGate();
                shard.Gates.Add(inode, gate);
            }
            gate.Users++;
            return gate;
        }
    }

    private void Leave(ulong inode, InodeGate gate)
    {
        gate.Semaphore.Release();
        LockShard shard = _lockShards[inode % LockShardCount];
        lock (shard.Gate)
        {
            if (--gate.Users > 0) return;
            shard.Gates.Remove(inode);
            if (shard.Spare.Count < 16) shard.Spare.Push(gate); // its semaphore is free again: no holder, no waiter
        }
    }

    /// <summary>The inodes of the lock table (tests: none may be left behind once every change finished).</summary>
    internal int LockedInodeCount
    {
        get
        {
            int n = 0;
            foreach (LockShard shard in _lockShards)
            {
                lock (shard.Gate) n += shard.Gates.Count;
            }
            return n;
        }
    }

    /// <summary>
    /// The change read that <paramref name="actual"/> is what it locked as <paramref name="guessed"/>
    /// (an entry read before its locks were taken); if another change rebound the name meanwhile, the
    /// change starts over (through RetryOnConflictAsync) and locks what the name names now.
    /// </summary>
    private static void ThrowIfMoved(ulong guessed, ulong actual)
    {
        if (guessed != actual) throw new MetadataConflictException();
    }
}
