namespace DittoFs.Storage;

public enum TimeChange : byte { DontChange, ServerTime, ClientTime }

public readonly record struct TimeSet(TimeChange How, Timestamp Time = default)
{
    public static TimeSet DontChange => default;
    public static TimeSet ServerTime => new(TimeChange.ServerTime);
    public static TimeSet At(Timestamp t) => new(TimeChange.ClientTime, t);
}

/// <summary>The attributes a SETATTR (or a create) asks to set; null means leave as is.</summary>
public readonly record struct SetAttributes
{
    public uint? Mode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    public ulong? Size { get; init; }
    public TimeSet AccessTime { get; init; }
    public TimeSet ModifyTime { get; init; }

    public bool IsEmpty => Mode is null && Uid is null && Gid is null && Size is null
        && AccessTime.How == TimeChange.DontChange && ModifyTime.How == TimeChange.DontChange;
}
