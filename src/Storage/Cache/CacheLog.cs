using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Cache;

internal static partial class CacheLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Block {Block} of inode {Inode} is lost: the block map names a committed copy in the cache that is gone and was never uploaded; reads answer an IO error (dittofs check lists the file)")]
    public static partial void BlockLost(ILogger logger, ulong inode, ulong block);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Block {Block} of inode {Inode} cannot be read from the bucket: {Reason}")]
    public static partial void BlockUnreadable(ILogger logger, ulong inode, ulong block, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Filesystem {FilesystemId} on this bucket/prefix: {What}")]
    public static partial void FilesystemIdentity(ILogger logger, Guid filesystemId, string what);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Moved {Records} block records from the old cache-directory journal into the metadata store")]
    public static partial void JournalMigrated(ILogger logger, int records);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Garbage collection refused: {Reason}")]
    public static partial void GarbageRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Block cache: {DirtyBlocks} dirty blocks ({DirtyBytes} bytes) found at start-up, uploaded first")]
    public static partial void DirtyRecovered(ILogger logger, int dirtyBlocks, long dirtyBytes);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Block cache stopped: {DirtyBlocks} blocks ({DirtyBytes} bytes) not yet uploaded (kept on disk for the next start), {PendingDeletes} deletions pending")]
    public static partial void Stopped(ILogger logger, int dirtyBlocks, long dirtyBytes, long pendingDeletes);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Segment {Segment:x16} compacted into {Fresh:x16} ({Blocks} live blocks moved)")]
    private static partial void SegmentCompactedCore(ILogger logger, ulong segment, ulong fresh, int blocks);

    public static void SegmentCompacted(ILogger? logger, ulong segment, ulong fresh, int blocks)
    {
        if (logger is not null) SegmentCompactedCore(logger, segment, fresh, blocks);
    }
}
