using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DittoFs.Storage.Metadata.Faster;

public sealed partial class FasterMetadataStore
{
    /// <summary>
    /// Applies a batch to the KV (live path under the apply lock, and WAL replay).
    /// Ops are post-images, so applying a batch again gives the same state.
    /// Directory pages touched several times in one batch are edited in memory
    /// and written once at the end.
    /// </summary>
    private void ApplyToKv(MetadataOp[] ops)
    {
        var kv = Kv;
        Span<byte> key = stackalloc byte[9 + Keys.MaxStackName];
        Span<byte> pageKey = stackalloc byte[Keys.PageKeySize];
        Span<byte> value = stackalloc byte[16];
        Dictionary<(ulong Dir, ulong Page), byte[]>? pending = ops.Length > 1 ? [] : null;

        foreach (ref readonly var op in ops.AsSpan())
        {
            switch (op.Kind)
            {
                case MetadataOpKind.PutInode:
                    var record = op.Record;
                    kv.Upsert(Keys.Inode(key, record.Inode), MemoryMarshal.AsBytes(new ReadOnlySpan<InodeRecord>(in record)));
                    break;

                case MetadataOpKind.DeleteInode:
                    kv.Delete(Keys.Inode(key, op.Inode));
                    kv.Delete(Keys.Symlink(key, op.Inode));
                    break;

                case MetadataOpKind.PutEntry:
                {
                    var entryKey = Keys.Entry(key, op.Directory, op.Name);
                    // Rebinding a name to a new cookie must not leave the old cookie listed.
                    if (kv.Read(entryKey, value) == 16)
                    {
                        ulong oldCookie = BinaryPrimitives.ReadUInt64LittleEndian(value[8..]);
                        if (oldCookie != op.Cookie) RemoveFromPage(op.Directory, oldCookie, pageKey);
                    }
                    BinaryPrimitives.WriteUInt64LittleEndian(value, op.Inode);
                    BinaryPrimitives.WriteUInt64LittleEndian(value[8..], op.Cookie);
                    kv.Upsert(entryKey, value);
                    ulong page = DirectoryPages.PageOf(op.Cookie, PageSize);
                    WritePage(op.Directory, page, DirectoryPages.With(ReadPage(op.Directory, page, pageKey), op.Cookie, op.Inode, op.Name), pageKey);
                    break;
                }

                case MetadataOpKind.DeleteEntry:
                    kv.Delete(Keys.Entry(key, op.Directory, op.Name));
                    RemoveFromPage(op.Directory, op.Cookie, pageKey);
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

                case MetadataOpKind.PutFilesystemId:
                    kv.Upsert(Keys.Slot(key, Keys.FilesystemIdSlot), op.Data);
                    break;

                default:
                    throw new ArgumentException($"Unknown op kind {op.Kind}");
            }
        }

        if (pending is not null)
            foreach (var ((dir, page), bytes) in pending) StorePage(dir, page, bytes, pageKey);

        byte[] ReadPage(ulong dir, ulong page, Span<byte> k) =>
            pending is not null && pending.TryGetValue((dir, page), out var cached) ? cached
            : kv.ReadBytes(Keys.Page(k, dir, page)) ?? [];

        void WritePage(ulong dir, ulong page, byte[] bytes, Span<byte> k)
        {
            if (pending is not null) pending[(dir, page)] = bytes;
            else StorePage(dir, page, bytes, k);
        }

        void RemoveFromPage(ulong dir, ulong cookie, Span<byte> k)
        {
            ulong page = DirectoryPages.PageOf(cookie, PageSize);
            if (DirectoryPages.Without(ReadPage(dir, page, k), cookie) is { } rest) WritePage(dir, page, rest, k);
        }

        void StorePage(ulong dir, ulong page, byte[] bytes, Span<byte> k)
        {
            // An empty page is deleted so a drained directory leaves nothing behind.
            if (bytes.Length == 0) kv.Delete(Keys.Page(k, dir, page));
            else kv.Upsert(Keys.Page(k, dir, page), bytes);
        }
    }
}
