using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

/// <summary>
/// RFC 8881 §3.3.12 stateid4: a seqid and 12 opaque bytes ("other"). Ours:
/// <code>
/// 0        4            8                   16
/// +--------+------------+-------------------+
/// | seqid  | boot tag   | state id (BE u64) |
/// +--------+------------+-------------------+
///           \_________ other[12] __________/
/// </code>
/// The boot tag (random per server instance, never 0 or all ones) tells a stateid of another instance
/// (STALE_STATEID) from an unknown one (BAD_STATEID); the state id is random too, so none can be guessed.
/// </summary>
internal readonly record struct Stateid4(uint Seqid, uint Boot, ulong Id) : IXdrCodec<Stateid4>
{
    public const int Size = 16;

    /// <summary>All-zero: the anonymous stateid (READ/WRITE/SETATTR without an open).</summary>
    public bool IsAnonymous => Seqid == 0 && Boot == 0 && Id == 0;

    /// <summary>All-ones: the READ bypass stateid.</summary>
    public bool IsBypass => Seqid == uint.MaxValue && Boot == uint.MaxValue && Id == ulong.MaxValue;

    /// <summary>seqid 1, other zero: "the current stateid" of the compound (§16.2.3.1.2).</summary>
    public bool IsCurrent => Seqid == 1 && Boot == 0 && Id == 0;

    /// <summary>The stateid CLOSE returns (knfsd's close_stateid): seqid all ones, other zero.</summary>
    public static Stateid4 Closed => new(uint.MaxValue, 0, 0);

    public bool IsSpecial => Boot == 0 && Id == 0 || IsBypass;

    public static Stateid4 Read(ref XdrReader reader)
    {
        // other[12] has no padding: the same bytes as a uint and a ulong.
        uint seqid = reader.ReadUInt32();
        uint boot = reader.ReadUInt32();
        return new Stateid4(seqid, boot, reader.ReadUInt64());
    }

    public static Stateid4 Decode(ref XdrReader reader) => Read(ref reader);

    public void Encode(ref XdrWriter writer) => Write(ref writer);

    public void Write(ref XdrWriter writer)
    {
        writer.WriteUInt32(Seqid);
        writer.WriteUInt32(Boot);
        writer.WriteUInt64(Id);
    }
}
