using System.Runtime.InteropServices;

namespace DittoFs.Storage.Metadata;

/// <summary>
/// One inode as stored: blittable, fixed size, so a store can keep it as raw
/// bytes (FASTER SpanByte value) and read it without allocating.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct InodeRecord
{
    public ulong Inode;
    public uint Generation;
    public uint Volume;
    public FileType Type;
    public uint Mode;          // 07777 bits
    public uint LinkCount;
    public uint Uid;
    public uint Gid;
    public ulong Size;
    public uint RdevMajor;
    public uint RdevMinor;
    public long AtimeSeconds;
    public uint AtimeNanos;
    public long MtimeSeconds;
    public uint MtimeNanos;
    public long CtimeSeconds;
    public uint CtimeNanos;
    public long BtimeSeconds;
    public uint BtimeNanos;
    public ulong ChangeId;
    /// <summary>Directories: the parent directory's inode (root: itself).</summary>
    public ulong Parent;
    /// <summary>Directories: the cookie the next entry gets (cookies start at 3; 1 and 2 are "." and "..").</summary>
    public ulong NextCookie;
    /// <summary>Directories: number of entries (for rmdir's emptiness check and fast stat).</summary>
    public ulong EntryCount;
    /// <summary>Exclusive create verifier (0 = none).</summary>
    public ulong CreateVerifier;

    public const ulong FirstCookie = 3;

    public readonly Timestamp Atime => new(AtimeSeconds, AtimeNanos);
    public readonly Timestamp Mtime => new(MtimeSeconds, MtimeNanos);
    public readonly Timestamp Ctime => new(CtimeSeconds, CtimeNanos);
    public readonly Timestamp Btime => new(BtimeSeconds, BtimeNanos);

    public void SetAtime(Timestamp t) { AtimeSeconds = t.Seconds; AtimeNanos = t.Nanoseconds; }
    public void SetMtime(Timestamp t) { MtimeSeconds = t.Seconds; MtimeNanos = t.Nanoseconds; }
    public void SetCtime(Timestamp t) { CtimeSeconds = t.Seconds; CtimeNanos = t.Nanoseconds; }
    public void SetBtime(Timestamp t) { BtimeSeconds = t.Seconds; BtimeNanos = t.Nanoseconds; }
}
