using System.Buffers.Binary;
using System.Diagnostics;
using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    /// <summary>Batches re-applied from the WAL by the last OpenAsync (for tests and start-up logs).</summary>
    internal long ReplayedBatches { get; private set; }

    /// <summary>Layout-1 directory pages converted by the last OpenAsync.</summary>
    internal int MigratedPages { get; private set; }

    /// <summary>
    /// Recovers the KV from its latest checkpoint (if any), then replays the WAL from
    /// the address the checkpoint covers. Only committed WAL records are visible after
    /// FasterLog recovery, so a record torn by a crash is simply absent.
    /// </summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var store = Kv.Store;
        long started = Stopwatch.GetTimestamp();
        long replayFrom = Wal.BeginAddress;
        bool checkpoint = HasCheckpoint();
        if (checkpoint)
        {
            // Explicit recovery: a broken checkpoint throws instead of silently starting empty.
            await store.RecoverAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            long covered = DecodeCookie(store.RecoveredCommitCookie);
            if (covered > Wal.TailAddress)
                throw new InvalidDataException($"Metadata WAL ends at {Wal.TailAddress} but the checkpoint covers up to {covered}: WAL lost?");
            replayFrom = Math.Max(covered, Wal.BeginAddress);
            _walAtLastCheckpoint = covered;
            BumpInodeCounter(ReadSuperblock());
            RecoverMaxBlockVersion();
        }
        // Before replay: the WAL is applied in the current layout, so the checkpoint must be in it too.
        MigratedPages = MigrateDirectoryPages(always: false);

        long replayed = 0;
        using (var iterator = Wal.Scan(replayFrom, Wal.TailAddress))
        {
            await foreach (var (entry, length, _, _) in iterator.GetAsyncEnumerable(cancellationToken).ConfigureAwait(false))
            {
                ReplayBatch(entry.AsSpan(0, length));
                replayed++;
            }
        }
        ReplayedBatches = replayed;
        if (_options.Logger is { } logger)
        {
            MetadataLog.Recovered(logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds, checkpoint ? "found" : "none",
                _walAtLastCheckpoint, replayed, Wal.TailAddress - replayFrom, Wal.TailAddress, MigratedPages);
        }
    }

    /// <summary>Re-applies one WAL batch (recovery, restore) and moves the inode counter past what it mentions.</summary>
    private void ReplayBatch(ReadOnlySpan<byte> batch)
    {
        var ops = BatchCodec.Read(batch, out ulong counter);
        BumpInodeCounter(counter);
        foreach (var op in ops)
        {
            if (op.Kind == MetadataOpKind.PutInode) BumpInodeCounter(op.Record.Inode);
            else if (op.Kind is MetadataOpKind.PutEntry or MetadataOpKind.PutVolume) BumpInodeCounter(op.Inode);
        }
        ApplyToKv(ops);
    }

    private bool HasCheckpoint()
    {
        // FASTER's DefaultCheckpointNamingScheme: one sub-directory per checkpoint token.
        string logCheckpoints = Path.Combine(_options.CheckpointDirectory, "cpr-checkpoints");
        return Directory.Exists(logCheckpoints) && Directory.EnumerateDirectories(logCheckpoints).Any();
    }

    private ulong ReadSuperblock()
    {
        Span<byte> key = stackalloc byte[Keys.SuperblockKeySize];
        Span<byte> value = stackalloc byte[8];
        return Kv.Read(Keys.Superblock(key), value) == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
    }

    private void BumpInodeCounter(ulong seen)
    {
        // The orphan list's directory has a reserved number far above any allocated one: not a counter value.
        if (seen == OrphanDirectory.Inode) return;
        if ((long)seen > _lastInode) _lastInode = (long)seen;
    }
}
