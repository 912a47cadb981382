using System.Globalization;

namespace DittoFs.Storage.Cache;

/// <summary>
/// Object names: <c>&lt;inode hex16&gt;/&lt;block hex16&gt;/&lt;version hex16&gt;</c> under the store prefix.
/// An overwrite of a block gets a new version (a new object); the old one becomes garbage once the
/// block map records the new one. Versions only grow, across restarts too.
/// Segments of packed small blocks are <c>seg/&lt;segment hex16&gt;</c>, their ids drawn from the same counter.
/// </summary>
public static class ObjectKeys
{
    public static string Format(ulong inode, ulong block, ulong version) =>
        string.Create(CultureInfo.InvariantCulture, $"{inode:x16}/{block:x16}/{version:x16}");

    public static string InodePrefix(ulong inode) => string.Create(CultureInfo.InvariantCulture, $"{inode:x16}/");

    public const string SegmentPrefix = "seg/";

    public static string Segment(ulong segment) => string.Create(CultureInfo.InvariantCulture, $"{SegmentPrefix}{segment:x16}");

    public static bool TryParseSegment(string key, out ulong segment)
    {
        segment = 0;
        return key.Length == 20 && key.StartsWith(SegmentPrefix, StringComparison.Ordinal)
            && ulong.TryParse(key.AsSpan(4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out segment);
    }

    /// <summary>The object that holds a block's last upload, as its record names it.</summary>
    public static string Of(ulong inode, ulong block, ulong version, bool packed) => packed ? Segment(version) : Format(inode, block, version);

    public static bool TryParse(string key, out ulong inode, out ulong block, out ulong version)
    {
        inode = block = version = 0;
        return key.Length == 50 && key[16] == '/' && key[33] == '/'
            && ulong.TryParse(key.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out inode)
            && ulong.TryParse(key.AsSpan(17, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out block)
            && ulong.TryParse(key.AsSpan(34, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out version);
    }
}
