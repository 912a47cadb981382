using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    /// <summary>
    /// Applies a batch to the KV (live path under the apply lock, and WAL replay).
    /// Ops are post-images, so applying a batch again gives the same state.
    /// Directory entries are also kept by cookie for READDIR (DirectorySlots).
    /// </summary>
    private void ApplyToKv(MetadataOp[] ops)
    {
        var kv = Kv;
        Span<byte> key = stackalloc byte[9 + Keys.MaxStackName];
        Span<byte> value = stackalloc byte[16];

        foreach (ref readonly var op in ops.AsSpan())
        {
            if (op.IsPrecondition) continue; // checked before the apply
            switch (op.Kind)
            {
                case MetadataOpKind.PutInode:
                    var record = op.Record;
                    kv.Upsert(Keys.Inode(key, record.Inode), MemoryMarshal.AsBytes(new ReadOnlySpan<InodeRecord>(in record)));
                    break;

                case MetadataOpKind.DeleteInode:
                    _deletesSinceMeasure++; // under the apply lock (or recovery): no race
                    kv.Delete(Keys.Inode(key, op.Inode));
                    kv.Delete(Keys.Symlink(key, op.Inode));
                    kv.Delete(Keys.Xattrs(key, op.Inode));
                    break;

                case MetadataOpKind.PutEntry:
                {
                    var entryKey = Keys.Entry(key, op.Directory, op.Name);
                    // Rebinding a name to a new cookie must not leave the old cookie listed.
                    if (kv.Read(entryKey, value) == 16)
                    {
                        ulong oldCookie = BinaryPrimitives.ReadUInt64LittleEndian(value[8..]);
                        if (oldCookie != op.Cookie) RemoveSlot(op.Directory, oldCookie);
                    }
                    BinaryPrimitives.WriteUInt64LittleEndian(value, op.Inode);
                    BinaryPrimitives.WriteUInt64LittleEndian(value[8..], op.Cookie);
                    kv.Upsert(entryKey, value);
                    PutSlot(op.Directory, op.Cookie, op.Inode, op.Name);
                    break;
                }

                case MetadataOpKind.DeleteEntry:
                    _deletesSinceMeasure++;
                    kv.Delete(Keys.Entry(key, op.Directory, op.Name));
                    RemoveSlot(op.Directory, op.Cookie);
                    break;

                case MetadataOpKind.PutSymlink:
                    kv.Upsert(Keys.Symlink(key, op.Inode), op.Data);
                    break;

                case MetadataOpKind.PutVolume:
                    BinaryPrimitives.WriteUInt32LittleEndian(value, op.Volume);
                    BinaryPrimitives.WriteUInt64LittleEndian(value[4..], op.Inode);
                    kv.Upsert(Keys.Volume(key, op.Name), value[..12]);
                    break;

                case MetadataOpKind.PutBlock:
                    ApplyPutBlock(op.Inode, op.Block, op.BlockRecord);
                    break;

                case MetadataOpKind.DropBlocks:
                    ApplyDropBlocks(op.Inode, op.Block);
                    break;

                case MetadataOpKind.DropBlockRange:
                    ApplyDropBlockRange(op.Inode, op.Block, op.Cookie);
                    break;

                case MetadataOpKind.PutXattrs:
                    if (op.Data.Length == 0) kv.Delete(Keys.Xattrs(key, op.Inode));
                    else kv.Upsert(Keys.Xattrs(key, op.Inode), op.Data);
                    break;

                case MetadataOpKind.PutSegment:
                    ApplyPutSegment(op.Block, op.SegmentRecord);
                    break;

                case MetadataOpKind.PutFilesystemId:
                    kv.Upsert(Keys.Slot(key, Keys.FilesystemIdSlot), op.Data);
                    break;

                default:
                    throw new ArgumentException($"Unknown op kind {op.Kind}");
            }
        }
    }
}
