using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    public async ValueTask OpenAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 3, 0) != 0)
            throw new InvalidOperationException("OpenAsync may be called once");
        try
        {
            Directory.CreateDirectory(_options.WalDirectory);
            _space = new Payload.FreeSpaceGuard(_options.WalDirectory);
            _walDevice = Devices.CreateLogDevice(Path.Combine(_options.WalDirectory, "wal"), recoverDevice: true);
            // No AutoCommit: only what group commit made durable is recovered (FasterLog restores to its last commit).
            _wal = await FasterLog.CreateAsync(new FasterLogSettings
            {
                LogDevice = _walDevice,
                PageSize = _options.WalPageSize,
                MemorySize = _options.WalMemorySize,
                // Truncation after a checkpoint deletes whole files: smaller files give the disk back sooner.
                SegmentSize = MetadataKv.SegmentSizeOf(_options.WalDirectory, "wal", _options.WalSegmentSize),
                // Commit metadata goes into the log itself (FastCommitMode): one synchronous write per
                // group commit. The commit file (create + write + delete of the old one, several disk
                // round trips) is written only every 1000th commit, as Garnet does for its AOF.
                LogCommitManager = new DeviceLogCommitCheckpointManager(
                    new LocalStorageNamedDeviceFactory(),
                    new DefaultCheckpointNamingScheme(_options.WalDirectory),
                    removeOutdated: true,
                    fastCommitThrottleFreq: 1000),
                TryRecoverLatest = true,
                FastCommitMode = true,
            }, cancellationToken).ConfigureAwait(false);

            _kv = new MetadataKv(_options);
            _kv.Store.UnsafeRegisterCallback(new CommitWalBeforePersist(this));
            await RecoverAsync(cancellationToken).ConfigureAwait(false);

            _commit = new GroupCommit(_wal, _options.CommitInterval, () => Volatile.Read(ref _walRecords), _options.Metrics, _options.WalDirectory, 2 * _options.WalPageSize + (1L << 20), _options.Logger);
            Volatile.Write(ref _state, 1);
            // A full checkpoint right away gives the next recovery an index and an empty WAL to start from.
            try
            {
                await CheckpointCoreAsync().ConfigureAwait(false);
            }
            catch (Payload.StorageFullException ex)
            {
                // A full disk: start anyway (reads work, the WAL still holds everything); the loop retries.
                LastCheckpointError = ex;
                _options.Metrics?.CheckpointFailed();
                if (_options.Logger is { } logger) MetadataLog.CheckpointFailed(logger, ex.Message);
            }
            StartCheckpointLoop();
            StartShipping();
            _options.Metrics?.ObserveMetadataLog(
                () => WalTailAddress - WalBeginAddress,
                () => Kv.Store.Log.TailAddress - Kv.Store.Log.BeginAddress);
            _options.Metrics?.ObserveLiveRatio(() => LiveRatio);
        }
        catch
        {
            await CloseAsync(clean: false).ConfigureAwait(false);
            Volatile.Write(ref _state, 2);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        int previous = Interlocked.Exchange(ref _state, 2);
        if (previous == 2) return;
        await CloseAsync(clean: previous == 1).ConfigureAwait(false);
    }

    /// <summary>
    /// Test hook simulating kill -9: stops background work without committing or
    /// checkpointing and leaves FASTER's objects as they are (nothing more is written).
    /// </summary>
    internal async ValueTask AbandonAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        _options.Metrics?.ObserveShipping(null, null);
        if (_shipper is not null) await _shipper.DisposeAsync().ConfigureAwait(false);
        await StopCheckpointLoopAsync().ConfigureAwait(false);
        if (_commit is not null) await _commit.StopAsync(finalCommit: false).ConfigureAwait(false);
    }

    private async Task CloseAsync(bool clean)
    {
        _options.Metrics?.ObserveMetadataLog(null, null);
        _options.Metrics?.ObserveLiveRatio(null);
        await StopCheckpointLoopAsync().ConfigureAwait(false);
        if (_commit is not null) await _commit.DisposeAsync().ConfigureAwait(false);
        if (_shipper is not null)
        {
            // The WAL is committed: one last round puts it in the bucket if the bucket answers soon.
            _options.Metrics?.ObserveShipping(null, null);
            await _shipper.StopAsync(finalRound: clean, _options.Shipping!.FinalTimeout).ConfigureAwait(false);
            await _shipper.DisposeAsync().ConfigureAwait(false);
        }
        if (clean)
        {
            // Best effort: the WAL is committed already, so a failed checkpoint only means a longer replay.
            try { await CheckpointCoreAsync().ConfigureAwait(false); }
            catch (Exception ex) { LastCheckpointError = ex; }
        }
        if (_options.Logger is { } log && _wal is not null && _kv is not null)
        {
            MetadataLog.Closed(log, !clean ? "after a failure" : LastCheckpointError is null ? "clean, checkpointed" : "clean, final checkpoint failed: " + LastCheckpointError.Message,
                _wal.TailAddress, _walAtLastCheckpoint);
        }
        _kv?.Dispose();
        _wal?.Dispose();
        _walDevice?.Dispose();
        _checkpointGate.Dispose();
    }
}
