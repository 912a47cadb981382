using DittoFs.Storage.Metadata;

namespace DittoFs.Storage;

// Optimistic concurrency across servers: every mutation's batch carries what it read as preconditions
// (MetadataOp.Expect*); a store where another writer changed that state refuses the batch, and the
// operation starts over from its reads (which then see the change: EXIST, NOTEMPTY, or a clean retry).
// Within one process the inode locks (FileSystem.Locks.cs) make conflicts rare (WRITE and SETATTR, which
// take a file's stripe and no inode lock, can race a namespace change of the same inode; a change whose
// entry was rebound between its unlocked read and its locks starts over); with several servers on one
// database they are the normal way two racing changes of one directory are ordered.
public sealed partial class FileSystem
{
    // Each conflict means another writer made progress; past this many the client is told to retry later.
    private const int MaxConflictRetries = 64;

    /// <summary>Thrown out of an operation (through its locks' finally blocks) when the store refused its batch.</summary>
    private sealed class MetadataConflictException() : Exception("metadata changed since the operation read it");

    private static async ValueTask<T> RetryOnConflictAsync<T>(Func<ValueTask<T>> operation, T busy)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (MetadataConflictException) when (attempt < MaxConflictRetries)
            {
                await BackOffAsync(attempt).ConfigureAwait(false);
            }
            catch (MetadataConflictException)
            {
                return busy;
            }
        }
    }

    // Two servers retrying in lockstep would collide again: spread them a little.
    private static ValueTask BackOffAsync(int attempt) =>
        attempt > 2 ? new ValueTask(Task.Delay(Random.Shared.Next(1, Math.Min(attempt, 20)))) : default;

    /// <summary>
    /// An entry read whose inode then was not there: another change removed both between the two reads (a store on
    /// which this change does not lock the directory, or another server), and the change starts over; or, if the
    /// entry still names that inode, the namespace is damaged (IoError).
    /// </summary>
    private async ValueTask<FsStatus> EntryTargetMissingAsync(ulong directory, ReadOnlyMemory<byte> name, ulong inode)
    {
        EntryRecord? again = await _store.GetEntryAsync(directory, name).ConfigureAwait(false);
        if ((again?.Inode ?? 0) != inode) throw new MetadataConflictException();
        return FsStatus.IoError;
    }

    private static long ThrowIfConflict(long position) =>
        position == MetadataConflict.Position ? throw new MetadataConflictException() : position;
}
