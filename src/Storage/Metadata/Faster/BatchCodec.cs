using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// WAL record format of one batch (little-endian):
/// <c>[version:1][nextInode:8][count:4] then per op [kind:1][fields]</c>.
/// nextInode is the allocation counter when the batch was written, so replay
/// restores it even if the checkpoint is older. InodeRecord is stored as its
/// raw bytes (blittable, fixed layout).
/// </summary>
internal static class BatchCodec
{
    public const byte Version = 1;
    private const int HeaderSize = 1 + 8 + 4;
    private static readonly int InodeSize = Unsafe.SizeOf<InodeRecord>();

    public static int GetSize(MetadataOp[] ops)
    {
        int size = HeaderSize;
        foreach (ref readonly var op in ops.AsSpan())
        {
            if (op.IsPrecondition) continue; // checked at apply, never logged
            size += 1 + op.Kind switch
            {
                MetadataOpKind.PutInode => InodeSize,
                MetadataOpKind.DeleteInode => 8,
                MetadataOpKind.PutEntry => 8 + 8 + 8 + 2 + op.Name.Length,
                MetadataOpKind.DeleteEntry => 8 + 8 + 2 + op.Name.Length,
                MetadataOpKind.PutSymlink => 8 + 4 + op.Data.Length,
                MetadataOpKind.PutVolume => 4 + 8 + 2 + op.Name.Length,
                MetadataOpKind.PutBlock => 8 + 8 + op.BlockRecord.EncodedSize,
                MetadataOpKind.PutSegment => 8 + SegmentRecord.Size,
                MetadataOpKind.DropBlocks => 8 + 8,
                MetadataOpKind.DropBlockRange => 8 + 8 + 8,
                MetadataOpKind.PutXattrs => 8 + 4 + op.Data.Length,
                MetadataOpKind.PutFilesystemId => 16,
                _ => throw new ArgumentException($"Unknown op kind {op.Kind}"),
            };
            // Bounded so every key can be built on the stack (NFS names are at most 255 bytes anyway).
            if (op.Name.Length > Keys.MaxStackName) throw new ArgumentException($"Name longer than {Keys.MaxStackName} bytes");
        }
        return size;
    }

    /// <summary>Writes the batch into <paramref name="dst"/> (sized by <see cref="GetSize"/>).</summary>
    public static void Write(Span<byte> dst, MetadataOp[] ops, ulong nextInode)
    {
        var w = new Writer(dst);
        w.Byte(Version);
        w.U64(nextInode);
        int changes = 0;
        foreach (ref readonly var op in ops.AsSpan()) if (!op.IsPrecondition) changes++;
        w.U32((uint)changes);
        foreach (ref readonly var op in ops.AsSpan())
        {
            if (op.IsPrecondition) continue;
            w.Byte((byte)op.Kind);
            switch (op.Kind)
            {
                case MetadataOpKind.PutInode:
                    var rec = op.Record;
                    w.Bytes(MemoryMarshal.AsBytes(new ReadOnlySpan<InodeRecord>(in rec)));
                    break;
                case MetadataOpKind.DeleteInode:
                    w.U64(op.Inode);
                    break;
                case MetadataOpKind.PutEntry:
                    w.U64(op.Directory); w.U64(op.Inode); w.U64(op.Cookie); w.Name(op.Name);
                    break;
                case MetadataOpKind.DeleteEntry:
                    w.U64(op.Directory); w.U64(op.Cookie); w.Name(op.Name);
                    break;
                case MetadataOpKind.PutSymlink:
                    w.U64(op.Inode); w.U32((uint)op.Data.Length); w.Bytes(op.Data);
                    break;
                case MetadataOpKind.PutVolume:
                    w.U32(op.Volume); w.U64(op.Inode); w.Name(op.Name);
                    break;
                case MetadataOpKind.PutBlock:
                    w.U64(op.Inode); w.U64(op.Block);
                    BlockValue.Write(w.Take(op.BlockRecord.EncodedSize), op.BlockRecord);
                    break;
                case MetadataOpKind.PutSegment:
                    w.U64(op.Block);
                    BlockValue.WriteSegment(w.Take(SegmentRecord.Size), op.SegmentRecord);
                    break;
                case MetadataOpKind.DropBlocks:
                    w.U64(op.Inode); w.U64(op.Block);
                    break;
                case MetadataOpKind.DropBlockRange:
                    w.U64(op.Inode); w.U64(op.Block); w.U64(op.Cookie);
                    break;
                case MetadataOpKind.PutXattrs:
                    w.U64(op.Inode); w.U32((uint)op.Data.Length); w.Bytes(op.Data);
                    break;
                case MetadataOpKind.PutFilesystemId:
                    if (op.Data.Length != 16) throw new ArgumentException("A filesystem id is 16 bytes");
                    w.Bytes(op.Data);
                    break;
            }
        }
    }

    /// <summary>Decodes a WAL record; throws <see cref="InvalidDataException"/> on anything malformed.</summary>
    public static MetadataOp[] Read(ReadOnlySpan<byte> src, out ulong nextInode)
    {
        var r = new Reader(src);
        byte version = r.Byte();
        if (version != Version) throw new InvalidDataException($"Unknown WAL batch version {version}");
        nextInode = r.U64();
        uint count = r.U32();
        if (count > src.Length) throw new InvalidDataException("Bad op count");
        var ops = new MetadataOp[count];
        for (int i = 0; i < ops.Length; i++)
        {
            var kind = (MetadataOpKind)r.Byte();
            ops[i] = kind switch
            {
                MetadataOpKind.PutInode => MetadataOp.PutInode(MemoryMarshal.Read<InodeRecord>(r.Bytes(InodeSize))),
                MetadataOpKind.DeleteInode => MetadataOp.DeleteInode(r.U64()),
                MetadataOpKind.PutEntry => ReadPutEntry(ref r),
                MetadataOpKind.DeleteEntry => ReadDeleteEntry(ref r),
                MetadataOpKind.PutSymlink => ReadPutSymlink(ref r),
                MetadataOpKind.PutVolume => ReadPutVolume(ref r),
                MetadataOpKind.PutBlock => ReadPutBlock(ref r),
                MetadataOpKind.DropBlocks => ReadDropBlocks(ref r),
                MetadataOpKind.DropBlockRange => ReadDropBlockRange(ref r),
                MetadataOpKind.PutXattrs => ReadPutXattrs(ref r),
                MetadataOpKind.PutSegment => ReadPutSegment(ref r),
                MetadataOpKind.PutFilesystemId => MetadataOp.PutFilesystemId(new Guid(r.Bytes(16))),
                _ => throw new InvalidDataException($"Unknown op kind {kind}"),
            };
        }
        if (!r.AtEnd) throw new InvalidDataException("Trailing bytes in WAL batch");
        return ops;
    }

    // Named locals keep the field order explicit (argument evaluation order would also work, but reads clearer).
    private static MetadataOp ReadPutEntry(ref Reader r)
    {
        ulong dir = r.U64(), inode = r.U64(), cookie = r.U64();
        return MetadataOp.PutEntry(dir, r.Name(), inode, cookie);
    }

    private static MetadataOp ReadDeleteEntry(ref Reader r)
    {
        ulong dir = r.U64(), cookie = r.U64();
        return MetadataOp.DeleteEntry(dir, r.Name(), cookie);
    }

    private static MetadataOp ReadPutSymlink(ref Reader r)
    {
        ulong inode = r.U64();
        int len = checked((int)r.U32());
        return MetadataOp.PutSymlink(inode, r.Bytes(len).ToArray());
    }

    private static MetadataOp ReadPutVolume(ref Reader r)
    {
        uint volume = r.U32();
        ulong root = r.U64();
        return MetadataOp.PutVolume(r.Name(), volume, root);
    }

    private static MetadataOp ReadPutBlock(ref Reader r)
    {
        ulong inode = r.U64(), block = r.U64();
        // The flags say whether an offset follows (packed); records from before packing never have one.
        int size = BlockValue.SizeOf(r.Peek(BlockRecord.Size));
        return MetadataOp.PutBlock(inode, block, BlockValue.Read(r.Bytes(size)));
    }

    private static MetadataOp ReadPutSegment(ref Reader r)
    {
        ulong segment = r.U64();
        return MetadataOp.PutSegment(segment, BlockValue.ReadSegment(r.Bytes(SegmentRecord.Size)));
    }

    private static MetadataOp ReadDropBlockRange(ref Reader r)
    {
        ulong inode = r.U64(), fromBlock = r.U64(), toBlock = r.U64();
        return MetadataOp.DropBlockRange(inode, fromBlock, toBlock);
    }

    private static MetadataOp ReadPutXattrs(ref Reader r)
    {
        ulong inode = r.U64();
        int len = checked((int)r.U32());
        return MetadataOp.PutXattrs(inode, r.Bytes(len).ToArray());
    }

    private static MetadataOp ReadDropBlocks(ref Reader r)
    {
        ulong inode = r.U64(), fromBlock = r.U64();
        return MetadataOp.DropBlocks(inode, fromBlock);
    }

    private ref struct Writer(Span<byte> dst)
    {
        private readonly Span<byte> _dst = dst;
        private int _pos;

        public void Byte(byte v) => _dst[_pos++] = v;
        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_dst[_pos..], v); _pos += 4; }
        public void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_dst[_pos..], v); _pos += 8; }
        public void Bytes(scoped ReadOnlySpan<byte> v) { v.CopyTo(_dst[_pos..]); _pos += v.Length; }
        public void Name(byte[] v) { BinaryPrimitives.WriteUInt16LittleEndian(_dst[_pos..], (ushort)v.Length); _pos += 2; Bytes(v); }

        public Span<byte> Take(int n)
        {
            Span<byte> s = _dst.Slice(_pos, n);
            _pos += n;
            return s;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> src)
    {
        private readonly ReadOnlySpan<byte> _src = src;
        private int _pos;

        public readonly bool AtEnd => _pos == _src.Length;
        public byte Byte() => Bytes(1)[0];
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));
        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));
        public byte[] Name() => Bytes(BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))).ToArray();

        /// <summary>The next <paramref name="n"/> bytes, not consumed.</summary>
        public readonly ReadOnlySpan<byte> Peek(int n)
        {
            if ((uint)n > (uint)(_src.Length - _pos)) throw new InvalidDataException("Truncated WAL batch");
            return _src.Slice(_pos, n);
        }

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if ((uint)n > (uint)(_src.Length - _pos)) throw new InvalidDataException("Truncated WAL batch");
            var s = _src.Slice(_pos, n);
            _pos += n;
            return s;
        }
    }
}
