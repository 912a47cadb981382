namespace DittoFs.Storage.Metadata.Postgres;

/// <summary>What the store asked of the database: read by metrics and by tests (lock-free counters).</summary>
public sealed class PostgresStoreCounters
{
    private long _roundTrips;
    private long _transactions;
    private long _retries;
    private long _conflicts;

    /// <summary>Statements or batches sent and answered.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Batches committed.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Batches run again after a serialization failure (40001) or a deadlock (40P01).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Batches refused because a precondition no longer held (the filesystem retries the operation).</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    internal void RoundTrip(int count = 1) => Interlocked.Add(ref _roundTrips, count);
    internal void Committed() => Interlocked.Increment(ref _transactions);
    internal void Retried() => Interlocked.Increment(ref _retries);
    internal void Conflicted() => Interlocked.Increment(ref _conflicts);
}
