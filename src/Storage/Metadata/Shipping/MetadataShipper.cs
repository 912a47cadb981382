using System.Diagnostics;
using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Metadata.Shipping;

/// <summary>
/// Copies a metadata store to the bucket in the background, Litestream-like: a snapshot (the live
/// records, tagged with the WAL address it covers), then the committed WAL in address order as
/// segment objects, and a manifest naming the newest snapshot once the WAL it needs is there too.
/// A newer published snapshot lets older snapshots and segments go. The request path never waits
/// for the bucket; a slow or failing bucket only grows the lag (retries back off up to MaxBackoff),
/// and the store keeps its WAL from <see cref="RetainFrom"/> on, so the shipped stream has no gap.
/// Each run starts a new chain (named by its start time) with a snapshot, so a data directory that
/// was restored, replaced or ran without shipping never mixes its WAL addresses with an older stream.
/// </summary>
internal sealed class MetadataShipper : IAsyncDisposable
{
    private readonly IShippingSource _source;
    private readonly ShippingOptions _options;
    private readonly IObjectStore _bucket;
    private readonly string _workDirectory;
    private readonly Diagnostics.StorageMetrics? _metrics;
    private readonly string _chain = ShipFormat.Hex(DateTime.UtcNow.Ticks);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private List<(long Position, TaskCompletionSource Done)> _waiters = [];
    private Task? _loop;

    private long _shipped = -1;          // end of the stream in the bucket; -1 until the chain's first snapshot
    private volatile bool _published;    // the manifest names this chain (restore would use it)
    private Pending? _pending;           // a snapshot on its way up
    private long _walAtSnapshot;
    private long _snapshotBytes;
    private long _snapshotTimestamp;
    private long _startTimestamp;
    private long _unshippedSince;        // Stopwatch timestamp of the oldest WAL not known to be shipped; 0 = none
    private long _bytesShipped;
    private long _failures;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;
    private readonly Diagnostics.Outage _outage = new();

    public MetadataShipper(IShippingSource source, ShippingOptions options, string workDirectory, Diagnostics.StorageMetrics? metrics, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _logger = logger;
        _source = source;
        _options = options;
        _bucket = options.Store;
        _workDirectory = workDirectory;
        _metrics = metrics;
    }

    /// <summary>The store must keep its WAL from here on (everything below is in the bucket).</summary>
    public long RetainFrom
    {
        get { long s = Interlocked.Read(ref _shipped); return s < 0 ? long.MaxValue : s; }
    }

    /// <summary>End of the WAL stream the bucket holds (-1 before the first snapshot).</summary>
    public long ShippedAddress => Interlocked.Read(ref _shipped);

    public bool Published => _published;

    public string Chain => _chain;

    public long BytesShipped => Interlocked.Read(ref _bytesShipped);

    public long Failures => Interlocked.Read(ref _failures);

    public Exception? LastError { get; private set; }

    /// <summary>Seconds the oldest unshipped change has waited (0 when all is shipped).</summary>
    public double LagSeconds
    {
        get
        {
            // Until the chain's first snapshot is published, nothing of this run is restorable.
            long since = _published ? Interlocked.Read(ref _unshippedSince) : _startTimestamp;
            return since == 0 ? 0 : Stopwatch.GetElapsedTime(since).TotalSeconds;
        }
    }

    /// <summary>WAL bytes written but not yet in the bucket.</summary>
    public long LagBytes
    {
        get { long s = Interlocked.Read(ref _shipped); return Math.Max(0, _source.WalTailAddress - Math.Max(s, 0)); }
    }

    /// <summary>Called by the store on every change: starts the lag clock if it is not running.</summary>
    public void Changed()
    {
        if (Interlocked.Read(ref _unshippedSince) == 0) Interlocked.CompareExchange(ref _unshippedSince, Stopwatch.GetTimestamp(), 0);
    }

    public void Start()
    {
        Directory.CreateDirectory(_workDirectory);
        foreach (string stale in Directory.EnumerateFiles(_workDirectory)) File.Delete(stale); // parts of a snapshot a crash left
        _startTimestamp = _snapshotTimestamp = Stopwatch.GetTimestamp();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>
    /// Completes once the bucket holds every change up to <paramref name="walPosition"/> (and a
    /// snapshot they apply to): commits the WAL, then ships at once; waiters arriving together
    /// share one segment.
    /// </summary>
    public async ValueTask WaitShippedAsync(long walPosition)
    {
        await _source.CommitWalAsync(walPosition).ConfigureAwait(false);
        if (Covers(walPosition)) return;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) throw new ObjectDisposedException(nameof(MetadataShipper));
            _waiters.Add((walPosition, done));
        }
        if (Covers(walPosition)) Release();
        else _wake.Release();
        await done.Task.ConfigureAwait(false);
    }

    private bool Covers(long position) => _published && Interlocked.Read(ref _shipped) >= position;

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        int failures = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await StepAsync(token).ConfigureAwait(false);
                failures = 0;
                LastError = null;
                if (_logger is not null && _outage.Succeeded(out TimeSpan down, out long rounds) == Diagnostics.Outage.Change.Recovered)
                {
                    ShippingLog.Recovered(_logger, down.TotalSeconds, rounds, ShippedAddress);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The bucket (or the local snapshot) failed: keep everything, wait, try again.
                LastError = ex;
                Interlocked.Increment(ref _failures);
                _metrics?.ShipFailed();
                if (_logger is not null)
                {
                    switch (_outage.Failed(out TimeSpan down, out long rounds))
                    {
                        case Diagnostics.Outage.Change.Started: ShippingLog.Failing(_logger, ex.Message, LagBytes); break;
                        case Diagnostics.Outage.Change.StillFailing: ShippingLog.StillFailing(_logger, down.TotalSeconds, rounds, ex.Message, LagBytes); break;
                    }
                }
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(_options.MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures - 1, 16))));
                try { await Task.Delay(backoff, token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            try { await _wake.WaitAsync(_options.Interval, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One round: snapshot if due, its parts up, the committed WAL up, the manifest if the snapshot is usable.</summary>
    private async Task StepAsync(CancellationToken token)
    {
        if (_pending is null && SnapshotDue()) _pending = await TakeSnapshotAsync(token).ConfigureAwait(false);

        if (_pending is { } p)
        {
            for (; p.Uploaded < p.Parts; p.Uploaded++)
            {
                byte[] part = await File.ReadAllBytesAsync(PartPath(p.Uploaded), token).ConfigureAwait(false);
                await PutAsync(ShipFormat.SnapshotPartKey(_chain, p.Covered, p.Uploaded), part, token).ConfigureAwait(false);
            }
        }

        await ShipWalAsync(token).ConfigureAwait(false);

        if (_pending is { } ready && ready.Uploaded == ready.Parts && Interlocked.Read(ref _shipped) >= ready.Requires)
        {
            var manifest = new ShipManifest(_chain, ready.Covered, ready.Requires, ready.Parts);
            await PutAsync(ShipFormat.ManifestKey, ShipFormat.EncodeManifest(manifest), token).ConfigureAwait(false);
            _published = true;
            _pending = null;
            _walAtSnapshot = ready.Covered;
            _snapshotBytes = ready.Bytes;
            foreach (string f in Directory.EnumerateFiles(_workDirectory)) File.Delete(f);
            Release();
            await DeleteCoveredAsync(ready.Covered, token).ConfigureAwait(false);
        }
    }

    private bool SnapshotDue()
    {
        if (Interlocked.Read(ref _shipped) < 0) return true; // the chain starts with one
        long shipped = Interlocked.Read(ref _shipped);
        if (shipped - _walAtSnapshot >= Math.Max(_options.SnapshotWalBytes, _snapshotBytes)) return true;
        return _options.SnapshotInterval > TimeSpan.Zero && shipped > _walAtSnapshot
            && Stopwatch.GetElapsedTime(_snapshotTimestamp) >= _options.SnapshotInterval;
    }

    private async Task<Pending> TakeSnapshotAsync(CancellationToken token)
    {
        foreach (string f in Directory.EnumerateFiles(_workDirectory)) File.Delete(f);
        ShipFormat.SnapshotWriter? writer = null;
        var (covered, requires) = await _source.TakeSnapshotAsync(
            c => writer = new ShipFormat.SnapshotWriter(c, 16 << 20, part => new FileStream(PartPath(part), FileMode.Create, FileAccess.Write)),
            c =>
            {
                // The first snapshot starts the stream: from here on the store keeps its WAL for us.
                if (Interlocked.Read(ref _shipped) < 0) Interlocked.Exchange(ref _shipped, c);
            },
            token).ConfigureAwait(false);
        _snapshotTimestamp = Stopwatch.GetTimestamp();
        return new Pending(covered, requires, writer!.Parts, writer.Bytes);
    }

    private async Task ShipWalAsync(CancellationToken token)
    {
        long tail = _source.WalTailAddress;
        long readAt = Stopwatch.GetTimestamp();
        long shipped = Interlocked.Read(ref _shipped);
        if (tail <= shipped) return;
        await _source.CommitWalAsync(tail).ConfigureAwait(false); // nobody may have waited for these yet
        var records = new List<WalRecord>();
        while (true)
        {
            long committed = _source.WalCommittedAddress;
            if (committed <= shipped) break;
            records.Clear();
            long next = _source.ReadWal(shipped, committed, _options.MaxSegmentBytes, records);
            if (next <= shipped) break;
            byte[] segment = ShipFormat.EncodeSegment(shipped, next, records);
            await PutAsync(ShipFormat.SegmentKey(_chain, shipped, next), segment, token).ConfigureAwait(false);
            shipped = next;
            Interlocked.Exchange(ref _shipped, next);
            Release();
        }
        // Changes after `tail` were made after `readAt`: their lag is at most the time since then.
        if (shipped >= tail) Interlocked.Exchange(ref _unshippedSince, _source.WalTailAddress > shipped ? readAt : 0);
    }

    private async Task PutAsync(string key, byte[] data, CancellationToken token)
    {
        await _bucket.PutAsync(key, data, Cache.Crc32C.Compute(data), token).ConfigureAwait(false);
        Interlocked.Add(ref _bytesShipped, data.Length);
        _metrics?.MetadataShipped(data.Length);
    }

    /// <summary>Deletes what the published snapshot makes useless: older snapshots, older chains, segments ending at or below it.</summary>
    private async Task DeleteCoveredAsync(long covered, CancellationToken token)
    {
        string keep = ShipFormat.SnapshotPrefix(_chain, covered);
        var doomed = new List<string>();
        await foreach (var o in _bucket.ListAsync(ShipFormat.SnapshotsPrefix, token).ConfigureAwait(false))
        {
            if (!o.Key.StartsWith(keep, StringComparison.Ordinal)) doomed.Add(o.Key);
        }
        await foreach (var o in _bucket.ListAsync(ShipFormat.WalPrefix, token).ConfigureAwait(false))
        {
            if (!ShipFormat.TryParseSegmentKey(o.Key, _chain, out _, out long to) || to <= covered) doomed.Add(o.Key);
        }
        for (int i = 0; i < doomed.Count; i += 1000)
            await _bucket.DeleteAsync(doomed.GetRange(i, Math.Min(1000, doomed.Count - i)), token).ConfigureAwait(false);
    }

    private void Release()
    {
        List<TaskCompletionSource>? ready = null;
        lock (_gate)
        {
            if (_waiters.Count == 0) return;
            var keep = new List<(long, TaskCompletionSource)>();
            foreach (var w in _waiters)
            {
                if (Covers(w.Position)) (ready ??= []).Add(w.Done);
                else keep.Add(w);
            }
            _waiters = keep;
        }
        if (ready is not null) foreach (var d in ready) d.TrySetResult();
    }

    private string PartPath(int part) => Path.Combine(_workDirectory, $"snapshot-{part:d6}");

    /// <summary>
    /// Stops shipping. <paramref name="finalRound"/> (a clean shutdown) first tries once more, for up
    /// to <paramref name="finalTimeout"/>, to get everything committed into the bucket.
    /// </summary>
    public async ValueTask StopAsync(bool finalRound, TimeSpan finalTimeout)
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        if (_loop is not null)
        {
            try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        if (finalRound)
        {
            using var cts = new CancellationTokenSource(finalTimeout);
            try { await StepAsync(cts.Token).ConfigureAwait(false); }
            catch (Exception ex)
            {
                LastError = ex;
                if (_logger is not null) ShippingLog.FinalRoundFailed(_logger, ex.Message, ShippedAddress, LagBytes);
            }
        }
        List<(long, TaskCompletionSource Done)> left;
        lock (_gate)
        {
            left = _waiters;
            _waiters = [];
        }
        foreach (var w in left) w.Done.TrySetException(new ObjectDisposedException(nameof(MetadataShipper)));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(finalRound: false, TimeSpan.Zero).ConfigureAwait(false);
        _wake.Dispose();
        _stop.Dispose();
    }

    private sealed class Pending(long covered, long requires, int parts, long bytes)
    {
        public long Covered { get; } = covered;
        public long Requires { get; } = requires;
        public int Parts { get; } = parts;
        public long Bytes { get; } = bytes;
        public int Uploaded { get; set; }
    }
}
