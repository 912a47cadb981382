namespace DittoFs.Storage;

/// <summary>Seconds and nanoseconds since the Unix epoch.</summary>
public readonly record struct Timestamp(long Seconds, uint Nanoseconds) : IComparable<Timestamp>
{
    public static Timestamp Now()
    {
        long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
        return new Timestamp(ticks / TimeSpan.TicksPerSecond, (uint)(ticks % TimeSpan.TicksPerSecond * 100));
    }

    public int CompareTo(Timestamp other) =>
        Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanoseconds.CompareTo(other.Nanoseconds);
}
