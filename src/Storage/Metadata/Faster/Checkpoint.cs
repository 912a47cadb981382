using System.Buffers.Binary;
using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    private const byte CookieVersion = 1;
    /// <summary>Every Nth checkpoint also writes the hash index (bounds the log replayed by FASTER's own recovery).</summary>
    private const int FullCheckpointEvery = 8;

    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private int _checkpointsTaken;
    private long _walAtLastCheckpoint;
    private long _lastCheckpointTimestamp;
    private Task? _checkpointLoop;
    private CancellationTokenSource? _checkpointStop;

    private int _walCommitsBeforePersist;

    /// <summary>How often the checkpoint hook committed the WAL before checkpoint metadata was written (tests).</summary>
    internal int WalCommitsBeforePersist => Volatile.Read(ref _walCommitsBeforePersist);

    /// <summary>The last periodic checkpoint failure, if any (the loop keeps trying).</summary>
    internal Exception? LastCheckpointError { get; private set; }

    public async ValueTask CheckpointAsync()
    {
        ThrowIfNotOpen();
        await CheckpointCoreAsync().ConfigureAwait(false);
    }

    private async Task CheckpointCoreAsync()
    {
        await _checkpointGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await CheckpointLockedAsync().ConfigureAwait(false);
            // After the fold-over nearly all of the log is immutable, so compaction can reach all of it;
            // a second checkpoint then records the new begin address and deletes the files before it.
            if (await MaybeCompactLockedAsync().ConfigureAwait(false)) await CheckpointLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    /// <summary>Takes a checkpoint (the caller holds the checkpoint gate); returns the WAL address it covers.</summary>
    private async Task<long> CheckpointLockedAsync()
    {
        long started = Stopwatch.GetTimestamp();
        var store = Kv.Store;
        long covered;
        lock (_applyLock)
        {
            // Every batch below this WAL address is fully applied, so it is in the checkpoint's version.
            covered = Wal.TailAddress;
            Span<byte> key = stackalloc byte[Keys.SuperblockKeySize];
            Span<byte> counter = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(counter, (ulong)Interlocked.Read(ref _lastInode));
            Kv.Upsert(Keys.Superblock(key), counter);
        }
        store.CommitCookie = EncodeCookie(covered);

        bool full = _checkpointsTaken % FullCheckpointEvery == 0;
        EnsureRoomForCheckpoint(full);
        _checkpointsTaken++;
        var (ok, _) = full
            ? await store.TakeFullCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false)
            : await store.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
        if (!ok) throw new InvalidOperationException("FASTER refused the checkpoint (another one in progress?)");

        // The checkpoint is durable: WAL records before `covered` are no longer needed here,
        // but the shipper may still have to send some of them to the bucket.
        long truncate = Math.Min(covered, _shipper?.RetainFrom ?? long.MaxValue);
        if (truncate > Wal.BeginAddress) Wal.TruncateUntil(truncate);
        await Wal.CommitAsync().ConfigureAwait(false);
        bool moved = covered != _walAtLastCheckpoint;
        _walAtLastCheckpoint = covered;
        _lastCheckpointTimestamp = Stopwatch.GetTimestamp();
        _options.Metrics?.CheckpointTaken(full, started);
        if (_options.Logger is { } logger)
        {
            MetadataLog.CheckpointTaken(logger, moved ? LogLevel.Information : LogLevel.Debug, full ? "full" : "log",
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, covered, Wal.BeginAddress);
        }
        return covered;
    }

    /// <summary>
    /// FASTER does not fail a checkpoint whose writes fail (a full disk): it never completes, and
    /// every later checkpoint and the shutdown wait on it. So a checkpoint starts only if the disk
    /// has room for what it writes (the index for a full one, the unflushed log pages, a margin);
    /// otherwise it is skipped with StorageFullException and retried later. Skipping loses
    /// nothing: the WAL keeps every change since the last checkpoint.
    /// </summary>
    private void EnsureRoomForCheckpoint(bool full)
    {
        var log = Kv.Store.Log;
        long needed = (full ? _options.KvIndexSize : 0) + (log.TailAddress - log.SafeReadOnlyAddress)
            + _options.KvPageSize + _options.WalPageSize;
        long? free = Payload.FreeSpaceGuard.FreeBytes(_options.CheckpointDirectory); // null: cannot tell, try
        if (free < needed)
        {
            throw new Payload.StorageFullException($"no room for a metadata checkpoint ({free} bytes free, {needed} needed): skipped");
        }
    }

    private void StartCheckpointLoop()
    {
        _lastCheckpointTimestamp = Stopwatch.GetTimestamp();
        _checkpointStop = new CancellationTokenSource();
        var token = _checkpointStop.Token;
        _checkpointLoop = Task.Run(async () =>
        {
            var tick = TimeSpan.FromMilliseconds(250);
            while (!token.IsCancellationRequested)
            {
                try { await Task.Delay(tick, token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }

                bool timeUp = _options.CheckpointInterval > TimeSpan.Zero
                    && Stopwatch.GetElapsedTime(_lastCheckpointTimestamp) >= _options.CheckpointInterval;
                bool walBig = Wal.TailAddress - _walAtLastCheckpoint >= _options.CheckpointWalBytes;
                if (!timeUp && !walBig) continue;
                try
                {
                    await CheckpointCoreAsync().ConfigureAwait(false);
                    LastCheckpointError = null;
                }
                catch (Exception ex)
                {
                    LastCheckpointError = ex;
                    _options.Metrics?.CheckpointFailed();
                    if (_options.Logger is { } logger) MetadataLog.CheckpointFailed(logger, ex.Message);
                    _lastCheckpointTimestamp = Stopwatch.GetTimestamp(); // retry at the next interval, not every tick
                }
            }
        });
    }

    private async Task StopCheckpointLoopAsync()
    {
        if (_checkpointStop is null) return;
        _checkpointStop.Cancel();
        if (_checkpointLoop is not null) await _checkpointLoop.ConfigureAwait(false);
        _checkpointStop.Dispose();
        _checkpointStop = null;
    }

    private static byte[] EncodeCookie(long walAddress)
    {
        var cookie = new byte[9];
        cookie[0] = CookieVersion;
        BinaryPrimitives.WriteInt64LittleEndian(cookie.AsSpan(1), walAddress);
        return cookie;
    }

    private static long DecodeCookie(byte[]? cookie)
    {
        if (cookie is not { Length: 9 } || cookie[0] != CookieVersion)
            throw new InvalidDataException("Metadata checkpoint has no (or an unknown) WAL commit cookie");
        return BinaryPrimitives.ReadInt64LittleEndian(cookie.AsSpan(1));
    }

    /// <summary>
    /// Closes a crash window: a batch applied while the checkpoint switches version may be
    /// partly in the checkpoint. Committing the WAL before the checkpoint's metadata is written
    /// makes every such batch durable in the WAL, so replay from the cookie completes it.
    /// </summary>
    private sealed class CommitWalBeforePersist(FasterMetadataStore owner) : IStateMachineCallback
    {
        public void BeforeEnteringState<TKey, TValue>(SystemState next, FasterKV<TKey, TValue> faster)
        {
            if (next.Phase != Phase.PERSISTENCE_CALLBACK) return;
            try
            {
                owner._wal?.Commit(spinWait: true);
                Interlocked.Increment(ref owner._walCommitsBeforePersist);
            }
            catch (Exception ex) { owner.LastCheckpointError = ex; }
        }
    }
}
