using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DittoFs.Storage.Diagnostics;

/// <summary>The S3 request kinds, as the <c>operation</c> label of the S3 metrics.</summary>
public enum S3Operation
{
    Get,
    Put,
    Head,
    Delete,
    List,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
}

/// <summary>What became of a block read-ahead fetched, or a sequential read it did not cover (the <c>result</c> label).</summary>
public enum ReadAheadResult
{
    /// <summary>A read found the block fetched (or being fetched) ahead of it.</summary>
    Hit,
    /// <summary>A sequential read had to download a block read-ahead had not fetched.</summary>
    Miss,
    /// <summary>A fetched block was evicted or dropped before anyone read it.</summary>
    Wasted,
}

/// <summary>
/// Metrics of the storage layer (meter <c>DittoFs.Storage</c>), one instance per
/// server, handed to the stores through their options (null = not measured).
/// Every recording method is allocation-free: label values are constant strings
/// and histograms carry bucket advice. Prometheus names (OpenTelemetry exporter):
/// <list type="bullet">
/// <item>file data: <c>dittofs_fs_read_bytes_total</c>, <c>dittofs_fs_written_bytes_total</c></item>
/// <item>metadata WAL: <c>dittofs_wal_commits_total</c>, <c>dittofs_wal_commit_batch_size</c> (histogram of
///   operations released per commit), <c>dittofs_wal_batch_mutations</c> (histogram of WAL records made durable
///   per commit, waited for or not), <c>dittofs_wal_commit_duration_seconds</c>, <c>dittofs_wal_size_bytes</c>,
///   <c>dittofs_metadata_log_size_bytes</c> (FASTER hybrid log), <c>dittofs_metadata_checkpoint_duration_seconds{kind}</c>,
///   <c>dittofs_metadata_checkpoint_failures_total</c></item>
/// <item>payload fsync: <c>dittofs_payload_fsync_batch_size</c> (files per fsync round),
///   <c>dittofs_payload_fsync_duration_seconds</c></item>
/// <item>block cache: <c>dittofs_cache_size_bytes</c>, <c>dittofs_cache_dirty_bytes</c>,
///   <c>dittofs_cache_requests_total{result=hit|miss}</c>, <c>dittofs_cache_evictions_total</c>,
///   <c>dittofs_cache_evicted_bytes_total</c>, <c>dittofs_cache_readahead_total{result=hit|miss|wasted}</c></item>
/// <item>flusher: <c>dittofs_flush_queue_blocks</c>, <c>dittofs_flush_queue_bytes</c>, <c>dittofs_flush_uploads_total</c>,
///   <c>dittofs_flush_uploaded_bytes_total</c></item>
/// <item>S3: <c>dittofs_s3_request_duration_seconds{operation}</c>, <c>dittofs_s3_errors_total{operation}</c></item>
/// </list>
/// </summary>
public sealed class StorageMetrics
{
    public const string MeterName = "DittoFs.Storage";

    /// <summary>50 µs to 10 s.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
    [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ];

    /// <summary>Batch sizes: 1 to 4096, powers of two.</summary>
    public static readonly IReadOnlyList<long> BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    private static readonly string[] s_operations = Enum.GetNames<S3Operation>().Select(ToSnakeCase).ToArray();
    private static readonly string[] s_readAheadResults = ["hit", "miss", "wasted"];

    private readonly Counter<long> _fsRead;
    private readonly Counter<long> _fsWritten;
    private readonly Counter<long> _walCommits;
    private readonly Histogram<long> _walBatch;
    private readonly Histogram<long> _walBatchMutations;
    private readonly Histogram<double> _walCommitDuration;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Counter<long> _checkpointFailures;
    private readonly Histogram<long> _fsyncBatch;
    private readonly Histogram<double> _fsyncDuration;
    private readonly UpDownCounter<long> _cacheSize;
    private readonly UpDownCounter<long> _cacheDirty;
    private readonly Counter<long> _cacheRequests;
    private readonly Counter<long> _cacheEvictions;
    private readonly Counter<long> _cacheEvictedBytes;
    private readonly Counter<long> _readAhead;
    private readonly UpDownCounter<long> _flushQueueBlocks;
    private readonly UpDownCounter<long> _flushQueueBytes;
    private readonly Counter<long> _uploads;
    private readonly Counter<long> _uploadedBytes;
    private readonly Histogram<double> _s3Duration;
    private readonly Counter<long> _s3Errors;

    private readonly Counter<long> _shippedBytes;
    private readonly Counter<long> _shipFailures;
    private readonly Counter<long> _compactions;

    private volatile Func<long>? _walSize;
    private volatile Func<long>? _logSize;
    private volatile Func<double>? _shipLagSeconds;
    private volatile Func<long>? _shipLagBytes;
    private volatile Func<double>? _liveRatio;

    public StorageMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(MeterName);
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        var batch = new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchBuckets };

        _fsRead = meter.CreateCounter<long>("dittofs.fs.read", "By", "File bytes read by clients");
        _fsWritten = meter.CreateCounter<long>("dittofs.fs.written", "By", "File bytes written by clients");

        _walCommits = meter.CreateCounter<long>("dittofs.wal.commits", "{commit}", "WAL group commits (one flush + fsync each)");
        _walBatch = meter.CreateHistogram("dittofs.wal.commit.batch_size", "{operation}", "Operations that waited for one WAL commit", null, batch);
        _walBatchMutations = meter.CreateHistogram("dittofs.wal.batch.mutations", "{mutation}", "WAL records (mutations) made durable by one WAL commit", null, batch);
        _walCommitDuration = meter.CreateHistogram("dittofs.wal.commit.duration", "s", "Time of one WAL commit (flush + fsync)", null, latency);
        meter.CreateObservableGauge("dittofs.wal.size", () => Observe(_walSize), "By", "Live WAL bytes (since the last checkpoint's truncation)");
        meter.CreateObservableGauge("dittofs.metadata.log.size", () => Observe(_logSize), "By", "FASTER hybrid log bytes (in memory and on disk)");
        _checkpointDuration = meter.CreateHistogram("dittofs.metadata.checkpoint.duration", "s", "Time of one metadata checkpoint", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _shippedBytes = meter.CreateCounter<long>("dittofs.metadata.ship.shipped", "By", "Metadata bytes (snapshots, WAL segments, manifests) put in the bucket");
        _shipFailures = meter.CreateCounter<long>("dittofs.metadata.ship.failures", "{round}", "Metadata shipping rounds that failed (retried with backoff)");
        meter.CreateObservableGauge("dittofs.metadata.ship.lag", () => ObserveDouble(_shipLagSeconds), "s", "Age of the oldest metadata change not yet in the bucket");
        meter.CreateObservableGauge("dittofs.metadata.ship.lag_bytes", () => Observe(_shipLagBytes), "By", "WAL bytes not yet in the bucket");
        meter.CreateObservableGauge("dittofs.metadata.log.live_ratio", () => ObserveDouble(_liveRatio), "1", "Live fraction of the FASTER hybrid log at the last measurement (compaction raises it)");
        _compactions = meter.CreateCounter<long>("dittofs.metadata.compactions", "{compaction}", "Hybrid log compactions");
        _checkpointFailures = meter.CreateCounter<long>("dittofs.metadata.checkpoint.failures", "{checkpoint}", "Metadata checkpoints that failed");

        _fsyncBatch = meter.CreateHistogram("dittofs.payload.fsync.batch_size", "{file}", "Files made durable by one payload fsync round", null, batch);
        _fsyncDuration = meter.CreateHistogram("dittofs.payload.fsync.duration", "s", "Time of one payload fsync round", null, latency);

        _cacheSize = meter.CreateUpDownCounter<long>("dittofs.cache.size", "By", "Bytes held by the block cache");
        _cacheDirty = meter.CreateUpDownCounter<long>("dittofs.cache.dirty", "By", "Cached bytes not yet uploaded");
        _cacheRequests = meter.CreateCounter<long>("dittofs.cache.requests", "{request}", "Block cache lookups, by result (hit or miss)");
        _cacheEvictions = meter.CreateCounter<long>("dittofs.cache.evictions", "{block}", "Blocks evicted from the cache");
        _cacheEvictedBytes = meter.CreateCounter<long>("dittofs.cache.evicted", "By", "Bytes evicted from the cache");
        _readAhead = meter.CreateCounter<long>("dittofs.cache.readahead", "{block}", "Read-ahead of sequential readers, by result (hit, miss or wasted)");

        _flushQueueBlocks = meter.CreateUpDownCounter<long>("dittofs.flush.queue.blocks", "{block}", "Blocks waiting for upload");
        _flushQueueBytes = meter.CreateUpDownCounter<long>("dittofs.flush.queue", "By", "Bytes waiting for upload");
        _uploads = meter.CreateCounter<long>("dittofs.flush.uploads", "{object}", "Data objects uploaded (a block, or a segment of packed small blocks)");
        _uploadedBytes = meter.CreateCounter<long>("dittofs.flush.uploaded", "By", "Bytes uploaded");

        _s3Duration = meter.CreateHistogram("dittofs.s3.request.duration", "s", "S3 request latency, by operation", null, latency);
        _s3Errors = meter.CreateCounter<long>("dittofs.s3.errors", "{request}", "S3 requests that failed, by operation");
    }

    /// <summary>
    /// Makes the counters and gauges exist at 0 (with each label value they can
    /// take) before anything happened, so dashboards show 0 rather than no data.
    /// Histograms appear with their first measurement. Call once the meter provider listens.
    /// </summary>
    public void Prime()
    {
        _fsRead.Add(0);
        _fsWritten.Add(0);
        _walCommits.Add(0);
        _checkpointFailures.Add(0);
        _shippedBytes.Add(0);
        _shipFailures.Add(0);
        _compactions.Add(0);
        _cacheSize.Add(0);
        _cacheDirty.Add(0);
        _cacheRequests.Add(0, new KeyValuePair<string, object?>("result", "hit"));
        _cacheRequests.Add(0, new KeyValuePair<string, object?>("result", "miss"));
        _cacheEvictions.Add(0);
        _cacheEvictedBytes.Add(0);
        foreach (string result in s_readAheadResults) _readAhead.Add(0, new KeyValuePair<string, object?>("result", result));
        _flushQueueBlocks.Add(0);
        _flushQueueBytes.Add(0);
        _uploads.Add(0);
        _uploadedBytes.Add(0);
        foreach (string operation in s_operations) _s3Errors.Add(0, new KeyValuePair<string, object?>("operation", operation));
    }

    // ---- file data (FileSystem) ----

    public void FileRead(long bytes)
    {
        if (_fsRead.Enabled) _fsRead.Add(bytes);
    }

    public void FileWritten(long bytes)
    {
        if (_fsWritten.Enabled) _fsWritten.Add(bytes);
    }

    // ---- metadata (FasterMetadataStore) ----

    /// <summary>One WAL commit that made <paramref name="mutations"/> waiting mutations durable, started at <paramref name="startTimestamp"/>.</summary>
    /// <param name="waiters">Operations that waited for this commit.</param>
    /// <param name="mutations">WAL records (mutations, waited for or not) this commit made durable.</param>
    public void WalCommitted(int waiters, long mutations, long startTimestamp)
    {
        _walCommits.Add(1);
        if (_walBatch.Enabled) _walBatch.Record(waiters);
        if (_walBatchMutations.Enabled) _walBatchMutations.Record(mutations);
        if (_walCommitDuration.Enabled) _walCommitDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }

    public void CheckpointTaken(bool full, long startTimestamp)
    {
        if (_checkpointDuration.Enabled)
        {
            _checkpointDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>("kind", full ? "full" : "log"));
        }
    }

    public void CheckpointFailed() => _checkpointFailures.Add(1);

    /// <summary>Where the WAL and hybrid log sizes are read at each scrape; null detaches (the store closed).</summary>
    public void ObserveMetadataLog(Func<long>? walBytes, Func<long>? logBytes)
    {
        _walSize = walBytes;
        _logSize = logBytes;
    }

    /// <summary>Where the shipping lag is read at each scrape; null detaches.</summary>
    public void ObserveShipping(Func<double>? lagSeconds, Func<long>? lagBytes)
    {
        _shipLagSeconds = lagSeconds;
        _shipLagBytes = lagBytes;
    }

    public void MetadataShipped(long bytes)
    {
        if (_shippedBytes.Enabled) _shippedBytes.Add(bytes);
    }

    public void ShipFailed() => _shipFailures.Add(1);

    /// <summary>Where the hybrid log's live fraction is read; null detaches.</summary>
    public void ObserveLiveRatio(Func<double>? ratio) => _liveRatio = ratio;

    public void Compacted() => _compactions.Add(1);

    // ---- payload (LocalPayloadStore) ----

    public void FsyncRound(int files, long startTimestamp)
    {
        if (_fsyncBatch.Enabled) _fsyncBatch.Record(files);
        if (_fsyncDuration.Enabled) _fsyncDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
    }

    // ---- block cache (S3 payload store) ----

    /// <summary>Bytes added to (positive) or dropped from (negative) the cache.</summary>
    public void CacheSizeChanged(long deltaBytes) => _cacheSize.Add(deltaBytes);

    /// <summary>Bytes made dirty (positive) or clean by an upload (negative).</summary>
    public void CacheDirtyChanged(long deltaBytes) => _cacheDirty.Add(deltaBytes);

    public void CacheHit()
    {
        if (_cacheRequests.Enabled) _cacheRequests.Add(1, new KeyValuePair<string, object?>("result", "hit"));
    }

    public void CacheMiss()
    {
        if (_cacheRequests.Enabled) _cacheRequests.Add(1, new KeyValuePair<string, object?>("result", "miss"));
    }

    public void ReadAhead(ReadAheadResult result)
    {
        if (_readAhead.Enabled) _readAhead.Add(1, new KeyValuePair<string, object?>("result", s_readAheadResults[(int)result]));
    }

    public void CacheEvicted(long bytes)
    {
        _cacheEvictions.Add(1);
        _cacheEvictedBytes.Add(bytes);
    }

    // ---- flusher (S3 payload store) ----

    /// <summary>A block queued for upload (positive) or taken off the queue (negative).</summary>
    public void FlushQueueChanged(int deltaBlocks, long deltaBytes)
    {
        _flushQueueBlocks.Add(deltaBlocks);
        _flushQueueBytes.Add(deltaBytes);
    }

    public void BlockUploaded(long bytes)
    {
        _uploads.Add(1);
        _uploadedBytes.Add(bytes);
    }

    // ---- S3 client ----

    /// <summary>One S3 request that took since <paramref name="startTimestamp"/>; <paramref name="failed"/> counts it as an error too.</summary>
    public void S3Request(S3Operation operation, long startTimestamp, bool failed = false)
    {
        var tag = new KeyValuePair<string, object?>("operation", s_operations[(int)operation]);
        if (_s3Duration.Enabled) _s3Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tag);
        if (failed) _s3Errors.Add(1, tag);
    }

    private static IEnumerable<Measurement<long>> Observe(Func<long>? source)
    {
        if (source is null) return [];
        long value;
        try { value = source(); }
        catch (Exception) { return []; } // the store is closing: nothing to report
        return [new Measurement<long>(value)];
    }

    private static IEnumerable<Measurement<double>> ObserveDouble(Func<double>? source)
    {
        if (source is null) return [];
        double value;
        try { value = source(); }
        catch (Exception) { return []; }
        return [new Measurement<double>(value)];
    }

    private static string ToSnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
