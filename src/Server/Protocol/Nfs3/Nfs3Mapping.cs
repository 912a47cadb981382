using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

/// <summary>Storage values ↔ NFSv3 wire values.</summary>
internal static class Nfs3Mapping
{
    public static Nfs3Status ToNfs3(this FsStatus status) => status switch
    {
        FsStatus.Ok => Nfs3Status.Ok,
        FsStatus.NotPermitted => Nfs3Status.Perm,
        FsStatus.NotFound => Nfs3Status.NoEnt,
        FsStatus.IoError => Nfs3Status.Io,
        FsStatus.Access => Nfs3Status.Acces,
        FsStatus.Exists => Nfs3Status.Exist,
        FsStatus.CrossDevice => Nfs3Status.XDev,
        FsStatus.NotDirectory => Nfs3Status.NotDir,
        FsStatus.IsDirectory => Nfs3Status.IsDir,
        FsStatus.Invalid => Nfs3Status.Inval,
        FsStatus.FileTooBig => Nfs3Status.FBig,
        FsStatus.NoSpace => Nfs3Status.NoSpc,
        FsStatus.ReadOnly => Nfs3Status.RoFs,
        FsStatus.TooManyLinks => Nfs3Status.MLink,
        FsStatus.NameTooLong => Nfs3Status.NameTooLong,
        FsStatus.NotEmpty => Nfs3Status.NotEmpty,
        FsStatus.Stale => Nfs3Status.Stale,
        FsStatus.BadHandle => Nfs3Status.BadHandle,
        FsStatus.NotSupported => Nfs3Status.NotSupp,
        FsStatus.BadCookie => Nfs3Status.BadCookie,
        FsStatus.NotSync => Nfs3Status.NotSync,
        FsStatus.Delay => Nfs3Status.Jukebox,
        FsStatus.BadType => Nfs3Status.BadType,
        _ => Nfs3Status.ServerFault,
    };

    public static FAttr3 ToFAttr3(in FileAttributes a) => new()
    {
        Type = (Ftype3)a.Type,
        Mode = a.Mode & 0xFFF,
        NLink = a.LinkCount,
        Uid = a.Uid,
        Gid = a.Gid,
        Size = a.Size,
        Used = a.SpaceUsed,
        Rdev = new SpecData3 { SpecData1 = a.RdevMajor, SpecData2 = a.RdevMinor },
        Fsid = a.Id.Volume,
        FileId = a.Id.Inode,
        ATime = ToTime(a.AccessTime),
        MTime = ToTime(a.ModifyTime),
        CTime = ToTime(a.ChangeTime),
    };

    public static PostOpAttr PostOp(in FileAttributes? a) =>
        a is { } value ? new PostOpAttr { Attributes = ToFAttr3(value) } : default;

    public static PostOpAttr PostOp(in FileAttributes a) => new() { Attributes = ToFAttr3(a) };

    public static WccData ToWcc(in Storage.WccData wcc) => new()
    {
        Before = wcc.Before is { } b
            ? new PreOpAttr { Attributes = new WccAttr { Size = b.Size, MTime = ToTime(b.ModifyTime), CTime = ToTime(b.ChangeTime) } }
            : default,
        After = PostOp(wcc.After),
    };

    /// <summary>nfstime3 seconds are unsigned 32-bit: clamp times outside 1970..2106.</summary>
    public static NfsTime3 ToTime(Timestamp t) => new()
    {
        Seconds = t.Seconds < 0 ? 0 : t.Seconds > uint.MaxValue ? uint.MaxValue : (uint)t.Seconds,
        NSeconds = t.Nanoseconds,
    };

    public static Timestamp FromTime(NfsTime3 t) => new(t.Seconds, Math.Min(t.NSeconds, 999_999_999u));

    public static SetAttributes ToSetAttributes(in SAttr3 s) => new()
    {
        Mode = s.Mode.Set ? s.Mode.Value & 0xFFF : null,
        Uid = s.Uid.Set ? s.Uid.Value : null,
        Gid = s.Gid.Set ? s.Gid.Value : null,
        Size = s.Size.Set ? s.Size.Value : null,
        AccessTime = ToTimeSet(s.ATime),
        ModifyTime = ToTimeSet(s.MTime),
    };

    private static TimeSet ToTimeSet(in SetTime t) => t.Set switch
    {
        TimeHow.SetToServerTime => TimeSet.ServerTime,
        TimeHow.SetToClientTime => TimeSet.At(FromTime(t.Time)),
        _ => TimeSet.DontChange,
    };

    public static PostOpFh3 Handle(FileId id) => new() { Handle = new NfsFh3 { Data = FileHandle.ToArray(id) } };
}
