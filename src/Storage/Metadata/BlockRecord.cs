namespace DittoFs.Storage.Metadata;

/// <summary>
/// Where one block of a file lives, as the metadata store records it (the block map).
/// <see cref="Version"/> names the object holding the block's last upload (0 = never uploaded),
/// with its length and CRC-32C. <see cref="Dirty"/>: a newer copy of the block, made durable on the
/// instance's cache disk by a COMMIT, has not been uploaded yet — if that copy is lost, so is the
/// block (it reads as an IO error, never as the older object or as zeros).
/// </summary>
public readonly record struct BlockRecord(ulong Version, uint Crc, int Length, bool Dirty)
{
    /// <summary>Bytes of the record as a store keeps it: version, crc, length, flags.</summary>
    public const int Size = 8 + 4 + 4 + 4;
}

/// <summary>One block of a file in the block map.</summary>
public readonly record struct BlockEntry(ulong Block, BlockRecord Record);
