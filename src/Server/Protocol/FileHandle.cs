using System.Buffers.Binary;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol;

/// <summary>
/// The opaque file handle given to clients (NFSv3 nfs_fh3, NFSv4 nfs_fh4):
/// fixed size, never a path, so a rename never makes it stale and a reused
/// slot never answers an old handle.
/// <code>
/// 0      2      4          8                  16         20
/// +------+------+----------+------------------+----------+
/// | "Df" | v=1,0| volume   | inode (BE)       | generation|
/// +------+------+----------+------------------+----------+
/// </code>
/// </summary>
internal static class FileHandle
{
    public const int Size = 20;
    private const byte Magic0 = (byte)'D';
    private const byte Magic1 = (byte)'f';
    private const byte Version = 1;

    public static void Write(FileId id, Span<byte> destination)
    {
        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = Version;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], id.Volume);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], id.Inode);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], id.Generation);
    }

    public static byte[] ToArray(FileId id)
    {
        byte[] handle = new byte[Size];
        Write(id, handle);
        return handle;
    }

    /// <summary>False for anything that is not a handle we made (wrong size, magic or version).</summary>
    public static bool TryRead(ReadOnlySpan<byte> handle, out FileId id)
    {
        if (handle.Length != Size || handle[0] != Magic0 || handle[1] != Magic1 || handle[2] != Version || handle[3] != 0)
        {
            id = default;
            return false;
        }
        id = new FileId(
            BinaryPrimitives.ReadUInt32BigEndian(handle[4..]),
            BinaryPrimitives.ReadUInt64BigEndian(handle[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(handle[16..]));
        return true;
    }
}
