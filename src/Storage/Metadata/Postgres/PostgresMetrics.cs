using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DittoFs.Storage.Metadata.Postgres;

/// <summary>
/// What the PostgreSQL metadata store asks of the database, as observable counters summed over the
/// open stores (a server has one): round trips, committed batches, retried batches (40001/40P01) and
/// conflicts (preconditions that no longer held). Pool use comes from Npgsql's own meter ("Npgsql":
/// db.client.connections.usage, .max, .pending_requests), which the server exports beside this one;
/// round-trip times by kind are a histogram (dittofs.postgres.round_trip.duration).
/// </summary>
public static class PostgresMetrics
{
    public const string MeterName = "DittoFs.Postgres";

    /// <summary>Npgsql's meter (connection pool and command metrics).</summary>
    public const string NpgsqlMeterName = "Npgsql";

    private static readonly ConcurrentDictionary<PostgresStoreCounters, byte> s_open = new();
    private static readonly Meter s_meter = CreateMeter();
    private static readonly Histogram<double> s_roundTrip = s_meter.CreateHistogram<double>("dittofs.postgres.round_trip.duration", "s",
        "Time of one round trip to the metadata database, by kind: read (a point read or listing), change (a batch), lease (ids off a sequence)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] });

    /// <summary>One round trip of <paramref name="kind"/> ("read", "change", "lease") that began at <paramref name="started"/> (Stopwatch ticks).</summary>
    internal static void RoundTrip(string kind, long started)
    {
        if (!s_roundTrip.Enabled) return;
        s_roundTrip.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("kind", kind));
    }

    internal static void Track(PostgresStoreCounters counters)
    {
        _ = s_meter; // instruments exist once a store does
        s_open.TryAdd(counters, 0);
    }

    internal static void Untrack(PostgresStoreCounters counters) => s_open.TryRemove(counters, out _);

    private static Meter CreateMeter()
    {
        var meter = new Meter(MeterName);
        meter.CreateObservableCounter("dittofs.postgres.round_trips", () => Sum(c => c.RoundTrips), "{round_trip}",
            "Statements or batches sent to the metadata database and answered");
        meter.CreateObservableCounter("dittofs.postgres.transactions", () => Sum(c => c.Transactions), "{transaction}",
            "Metadata batches committed");
        meter.CreateObservableCounter("dittofs.postgres.retries", () => Sum(c => c.Retries), "{retry}",
            "Metadata batches run again after a serialization failure or a deadlock");
        meter.CreateObservableCounter("dittofs.postgres.conflicts", () => Sum(c => c.Conflicts), "{conflict}",
            "Metadata batches refused because another writer changed what they read (the operation is retried)");
        return meter;
    }

    private static long Sum(Func<PostgresStoreCounters, long> counter) => s_open.Keys.Sum(counter);
}
