namespace DittoFs.Storage.Metadata.Shipping;

/// <summary>
/// What <see cref="MetadataShipper"/> needs from a store with a WAL: committed records in address
/// order, and snapshots tagged with the WAL address they cover. The shipper never looks inside
/// either, so any record kind the store has (or gets later) travels as is.
/// </summary>
internal interface IShippingSource
{
    /// <summary>Next address the WAL will write (everything below was appended).</summary>
    long WalTailAddress { get; }

    /// <summary>Makes the WAL durable up to <paramref name="position"/> (only durable records are shipped).</summary>
    ValueTask CommitWalAsync(long position);

    /// <summary>End of the durable WAL.</summary>
    long WalCommittedAddress { get; }

    /// <summary>
    /// Committed records from <paramref name="from"/> (a record boundary) until about
    /// <paramref name="maxBytes"/> or <paramref name="until"/>; returns the address after the last one read.
    /// </summary>
    long ReadWal(long from, long until, int maxBytes, List<WalRecord> into);

    /// <summary>
    /// Takes a snapshot (a checkpoint of the live records) and writes it with <paramref name="writer"/>;
    /// returns (covered: WAL address replay starts from, requires: WAL address the bucket must hold
    /// before the snapshot may be used). <paramref name="beforeRelease"/> runs while WAL truncation is
    /// still held back, so the caller can raise its retention floor to the covered address atomically.
    /// </summary>
    Task<(long Covered, long Requires)> TakeSnapshotAsync(Func<long, ShipFormat.SnapshotWriter> writer, Action<long> beforeRelease, CancellationToken cancellationToken);
}
