using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using DittoFs.Storage.Cache;

namespace DittoFs.Storage.Metadata.Shipping;

/// <summary>One WAL batch record as committed: its WAL address and raw bytes (the engine's own batch format).</summary>
public readonly record struct WalRecord(long Address, byte[] Bytes);

/// <summary>What the bucket's manifest names: the newest complete snapshot of one chain, and the WAL it needs after it.</summary>
public sealed record ShipManifest(string Chain, long Covered, long Requires, int Parts);

/// <summary>
/// The objects under <c>meta/</c> (engine-neutral: keys, values and WAL batches travel as raw bytes).
/// A chain is one continuous WAL stream, named by when it started; every object carries a CRC-32C.
/// <code>
/// meta/manifest                                 JSON ShipManifest, rewritten when a snapshot is complete
/// meta/snapshots/&lt;chain&gt;-&lt;covered&gt;/&lt;part&gt;     [DFSNAP01][covered:8][count:4] ([klen:4][vlen:4][key][value])* [crc:4]
/// meta/wal/&lt;chain&gt;/&lt;from&gt;-&lt;to&gt;               [DFWAL001][from:8][to:8][count:4] ([address:8][len:4][batch])* [crc:4]
/// </code>
/// Numbers little-endian; names use 16 lower-case hex digits so they sort by address.
/// Replaying a snapshot with covered C then every WAL record at an address at or above C, in
/// address order, rebuilds the store (the engine's batches are idempotent post-images).
/// </summary>
public static class ShipFormat
{
    public const string Root = "meta/";
    public const string ManifestKey = "meta/manifest";
    public const string SnapshotsPrefix = "meta/snapshots/";
    public const string WalPrefix = "meta/wal/";

    private static ReadOnlySpan<byte> SnapshotMagic => "DFSNAP01"u8;
    private static ReadOnlySpan<byte> SegmentMagic => "DFWAL001"u8;

    public static string Hex(long value) => value.ToString("x16", CultureInfo.InvariantCulture);

    public static string SnapshotPrefix(string chain, long covered) => $"{SnapshotsPrefix}{chain}-{Hex(covered)}/";

    public static string SnapshotPartKey(string chain, long covered, int part) => SnapshotPrefix(chain, covered) + part.ToString("d6", CultureInfo.InvariantCulture);

    public static string ChainWalPrefix(string chain) => $"{WalPrefix}{chain}/";

    public static string SegmentKey(string chain, long from, long to) => $"{ChainWalPrefix(chain)}{Hex(from)}-{Hex(to)}";

    /// <summary>The (from, to) of a segment key under <see cref="ChainWalPrefix"/>; false for anything else.</summary>
    public static bool TryParseSegmentKey(string key, string chain, out long from, out long to)
    {
        from = to = 0;
        string prefix = ChainWalPrefix(chain);
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return false;
        ReadOnlySpan<char> rest = key.AsSpan(prefix.Length);
        return rest.Length == 33 && rest[16] == '-'
            && long.TryParse(rest[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out from)
            && long.TryParse(rest[17..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out to);
    }

    public static byte[] EncodeManifest(ShipManifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest);

    public static ShipManifest DecodeManifest(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ShipManifest>(json) ?? throw new InvalidDataException("empty metadata manifest");

    // ---- WAL segments ----

    public static byte[] EncodeSegment(long from, long to, IReadOnlyList<WalRecord> records)
    {
        int size = 8 + 8 + 8 + 4 + 4;
        foreach (var r in records) size += 12 + r.Bytes.Length;
        var buffer = new byte[size];
        var w = buffer.AsSpan();
        SegmentMagic.CopyTo(w);
        BinaryPrimitives.WriteInt64LittleEndian(w[8..], from);
        BinaryPrimitives.WriteInt64LittleEndian(w[16..], to);
        BinaryPrimitives.WriteInt32LittleEndian(w[24..], records.Count);
        int pos = 28;
        foreach (var r in records)
        {
            BinaryPrimitives.WriteInt64LittleEndian(w[pos..], r.Address);
            BinaryPrimitives.WriteInt32LittleEndian(w[(pos + 8)..], r.Bytes.Length);
            r.Bytes.CopyTo(w[(pos + 12)..]);
            pos += 12 + r.Bytes.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(w[pos..], Crc32C.Compute(w[..pos]));
        return buffer;
    }

    public static List<WalRecord> DecodeSegment(ReadOnlySpan<byte> data, out long from, out long to)
    {
        ReadOnlySpan<byte> body = CheckedBody(data, SegmentMagic, "WAL segment");
        from = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        to = BinaryPrimitives.ReadInt64LittleEndian(body[16..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(body[24..]);
        var records = new List<WalRecord>(Math.Clamp(count, 0, 1 << 16));
        int pos = 28;
        for (int i = 0; i < count; i++)
        {
            if (body.Length - pos < 12) throw new InvalidDataException("truncated WAL segment");
            long address = BinaryPrimitives.ReadInt64LittleEndian(body[pos..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(body[(pos + 8)..]);
            if (length < 0 || length > body.Length - pos - 12) throw new InvalidDataException("truncated WAL segment");
            records.Add(new WalRecord(address, body.Slice(pos + 12, length).ToArray()));
            pos += 12 + length;
        }
        if (pos != body.Length) throw new InvalidDataException("trailing bytes in WAL segment");
        return records;
    }

    // ---- snapshot parts ----

    /// <summary>Writes snapshot parts: records are appended until a part reaches its size, then it is sealed (CRC) and the next one starts.</summary>
    public sealed class SnapshotWriter(long covered, int partBytes, Func<int, Stream> openPart)
    {
        private Stream? _part;
        private MemoryStream? _buffer;
        private int _count;

        public int Parts { get; private set; }
        public long Records { get; private set; }
        public long Bytes { get; private set; }

        public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (_buffer is null) Begin();
            Span<byte> header = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(header, key.Length);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], value.Length);
            _buffer!.Write(header);
            _buffer.Write(key);
            _buffer.Write(value);
            _count++;
            Records++;
            if (_buffer.Length >= partBytes) Seal();
        }

        /// <summary>Seals the last part (an empty store still gets one, empty, part).</summary>
        public void Complete()
        {
            if (_buffer is null && Parts == 0) Begin();
            if (_buffer is not null) Seal();
        }

        private void Begin()
        {
            _buffer = new MemoryStream();
            _buffer.Write(SnapshotMagic);
            Span<byte> header = stackalloc byte[12];
            BinaryPrimitives.WriteInt64LittleEndian(header, covered);
            _buffer.Write(header); // count patched at Seal
            _count = 0;
        }

        private void Seal()
        {
            byte[] data = _buffer!.GetBuffer();
            int length = (int)_buffer.Length;
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(16), _count);
            Span<byte> crc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Compute(data.AsSpan(0, length)));
            using (_part = openPart(Parts))
            {
                _part.Write(data, 0, length);
                _part.Write(crc);
            }
            Bytes += length + 4;
            Parts++;
            _buffer = null;
        }
    }

    /// <summary>Calls <paramref name="record"/> for each (key, value) of one snapshot part; returns the covered address it carries.</summary>
    public static long DecodeSnapshotPart(ReadOnlySpan<byte> data, SnapshotRecordAction record)
    {
        ReadOnlySpan<byte> body = CheckedBody(data, SnapshotMagic, "metadata snapshot");
        long covered = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(body[16..]);
        int pos = 20;
        for (int i = 0; i < count; i++)
        {
            if (body.Length - pos < 8) throw new InvalidDataException("truncated metadata snapshot");
            int kl = BinaryPrimitives.ReadInt32LittleEndian(body[pos..]);
            int vl = BinaryPrimitives.ReadInt32LittleEndian(body[(pos + 4)..]);
            if (kl < 0 || vl < 0 || (long)kl + vl > body.Length - pos - 8) throw new InvalidDataException("truncated metadata snapshot");
            record(body.Slice(pos + 8, kl), body.Slice(pos + 8 + kl, vl));
            pos += 8 + kl + vl;
        }
        if (pos != body.Length) throw new InvalidDataException("trailing bytes in metadata snapshot");
        return covered;
    }

    public delegate void SnapshotRecordAction(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    private static ReadOnlySpan<byte> CheckedBody(ReadOnlySpan<byte> data, ReadOnlySpan<byte> magic, string what)
    {
        if (data.Length < magic.Length + 4 || !data.StartsWith(magic)) throw new InvalidDataException($"not a {what}");
        ReadOnlySpan<byte> body = data[..^4];
        if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]))
            throw new InvalidDataException($"{what} fails its CRC-32C");
        return body;
    }
}
