using DittoFs.Storage.Payload.S3;

namespace DittoFs.Storage.Metadata.Shipping;

/// <summary>Where and how often <see cref="MetadataShipper"/> copies the metadata store to the bucket.</summary>
public sealed class ShippingOptions
{
    /// <summary>The bucket (its own prefix applies); objects go under <c>meta/</c>.</summary>
    public required IObjectStore Store { get; init; }

    /// <summary>
    /// Longest time committed WAL records wait before they are shipped when nobody asks for them
    /// (WaitShippedAsync ships at once). The lag is about this plus one PUT.
    /// </summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A new snapshot once this much WAL was shipped since the last one (and at least the last snapshot's size).</summary>
    public long SnapshotWalBytes { get; init; } = 64L << 20;

    /// <summary>A new snapshot at least this often while anything changes. Zero or negative: only by size.</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Largest WAL segment object (a larger backlog goes as several).</summary>
    public int MaxSegmentBytes { get; init; } = 8 << 20;

    /// <summary>How long a clean shutdown tries to ship what is left.</summary>
    public TimeSpan FinalTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait between retries of a failing bucket (the backoff doubles from 100 ms up to this).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);
}
