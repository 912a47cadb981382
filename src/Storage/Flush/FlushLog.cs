using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Flush;

/// <summary>
/// What the flusher and the garbage collector say about the object store. Failures are logged when
/// the store starts failing, every <see cref="Outage.Interval"/> while it keeps failing, and when it
/// answers again: never once per retry.
/// </summary>
internal static partial class FlushLog
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Object store uploads failing: {Reason}; retrying with backoff up to {MaxDelaySeconds} s; backlog {DirtyBlocks} dirty blocks ({DirtyBytes} bytes)")]
    public static partial void UploadsFailing(ILogger logger, string reason, double maxDelaySeconds, int dirtyBlocks, long dirtyBytes);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Object store uploads still failing after {Seconds:0} s ({Failures} failed attempts): {Reason}; backlog {DirtyBlocks} dirty blocks ({DirtyBytes} bytes)")]
    public static partial void UploadsStillFailing(ILogger logger, double seconds, long failures, string reason, int dirtyBlocks, long dirtyBytes);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Object store uploads recovered after {Seconds:0.0} s ({Failures} failed attempts); backlog {DirtyBlocks} dirty blocks ({DirtyBytes} bytes) draining")]
    public static partial void UploadsRecovered(ILogger logger, double seconds, long failures, int dirtyBlocks, long dirtyBytes);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Start-up sweep: {Listed} objects listed, {Garbage} unreferenced ({Bytes} bytes) queued for deletion")]
    public static partial void SweepDone(ILogger logger, long listed, int garbage, long bytes);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Object store deletions failing: {Reason}; {Pending} objects waiting, retrying with backoff")]
    public static partial void DeletesFailing(ILogger logger, string reason, long pending);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Object store deletions recovered after {Seconds:0.0} s; {Pending} objects waiting")]
    public static partial void DeletesRecovered(ILogger logger, double seconds, long pending);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information, Message = "Garbage collection: {Scanned} objects listed, {Deleted} deleted ({Bytes} bytes)")]
    public static partial void Collected(ILogger logger, long scanned, int deleted, long bytes);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Debug, Message = "Deleted {Count} unreferenced objects ({Total} since start)")]
    public static partial void Deleted(ILogger logger, int count, long total);
}
