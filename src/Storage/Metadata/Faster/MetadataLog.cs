using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>What the FASTER metadata store says: recovery, checkpoints, a full disk, a failed WAL, its close.</summary>
internal static partial class MetadataLog
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Metadata recovered in {Milliseconds:0} ms: checkpoint {Checkpoint} (WAL covered to {Covered}), {Replayed} WAL batches replayed ({ReplayedBytes} bytes), WAL at {Tail}, {MigratedPages} directory pages migrated")]
    public static partial void Recovered(ILogger logger, double milliseconds, string checkpoint, long covered, long replayed, long replayedBytes, long tail, int migratedPages);

    /// <summary>Information when the WAL moved since the last checkpoint, Debug for an idle one (every CheckpointInterval).</summary>
    [LoggerMessage(EventId = 3202, Message = "Metadata checkpoint ({Kind}) in {Milliseconds:0} ms: covers the WAL to {Covered}, WAL truncated to {TruncatedTo}")]
    public static partial void CheckpointTaken(ILogger logger, LogLevel level, string kind, double milliseconds, long covered, long truncatedTo);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Metadata checkpoint failed (retried at the next interval; the WAL keeps every change): {Reason}")]
    public static partial void CheckpointFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Error, Message = "NOSPC: metadata disk full at {Directory}: {FreeBytes} bytes free, {ReserveBytes} kept in reserve; metadata changes refused ({Refused} so far)")]
    public static partial void DiskFull(ILogger logger, string directory, long freeBytes, long reserveBytes, long refused);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Information, Message = "Metadata disk has room again after {Seconds:0.0} s ({Refused} changes refused)")]
    public static partial void DiskRoomAgain(ILogger logger, double seconds, long refused);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Critical, Message = "Metadata WAL commit failed: changes are refused until a restart ({Free} bytes free at {Directory})")]
    public static partial void WalFailed(ILogger logger, Exception exception, long free, string directory);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Information, Message = "Metadata store closed ({How}): WAL at {Tail}, last checkpoint covers {Covered}")]
    public static partial void Closed(ILogger logger, string how, long tail, long covered);
}
