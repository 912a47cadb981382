namespace DittoFs.Storage.Metadata;

/// <summary>
/// The outcome of a batch whose preconditions did not hold (another writer changed what the caller
/// read): nothing was applied. ApplyAsync returns <see cref="Position"/>, never a real WAL position.
/// </summary>
public static class MetadataConflict
{
    public const long Position = -1;

    /// <summary>
    /// Checks the batch's preconditions against a store that reads synchronously under its own
    /// apply lock (FASTER, in memory): there, with the filesystem's inode locks, they rarely fail (a WRITE
    /// or SETATTR racing a namespace change of its file); still checked, so every store means the same by a batch.
    /// </summary>
    public static bool Holds(ReadOnlySpan<MetadataOp> ops, Func<ulong, InodeRecord?> inode,
        Func<ulong, byte[], EntryRecord?> entry, Func<byte[], VolumeRecord?> volume)
    {
        foreach (ref readonly MetadataOp op in ops)
        {
            switch (op.Kind)
            {
                case MetadataOpKind.ExpectEntry:
                    if ((entry(op.Directory, op.Name)?.Inode ?? 0) != op.Inode) return false;
                    break;
                case MetadataOpKind.ExpectChangeId:
                    if (inode(op.Inode) is not { } found || found.ChangeId != op.Cookie) return false;
                    break;
                case MetadataOpKind.ExpectEmpty:
                    if (inode(op.Inode) is not { } dir || dir.EntryCount != 0) return false;
                    break;
                case MetadataOpKind.ExpectVolume:
                    if ((volume(op.Name)?.Volume ?? 0) != op.Volume) return false;
                    break;
            }
        }
        return true;
    }

    public static bool HasPreconditions(MetadataOp[] ops)
    {
        foreach (ref readonly MetadataOp op in ops.AsSpan())
        {
            if (op.IsPrecondition) return true;
        }
        return false;
    }
}
