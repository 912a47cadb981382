using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Protocol.Nfs4;

/// <summary>NFSv4 log messages (event ids 4001-4099).</summary>
internal static partial class Nfs4Log
{
    [LoggerMessage(4001, LogLevel.Information, "NFSv4 grace period: {Seconds} s for {Count} previous client(s)")]
    public static partial void GraceStarted(ILogger logger, int seconds, int count);

    [LoggerMessage(4002, LogLevel.Information, "NFSv4 grace period ended")]
    public static partial void GraceEnded(ILogger logger);

    [LoggerMessage(4003, LogLevel.Information, "NFSv4 client {ClientId:x} expired (lease not renewed)")]
    public static partial void LeaseExpired(ILogger logger, ulong clientId);

    [LoggerMessage(4041, LogLevel.Information, "NFSv4 client {ClientId:x} past its lease keeps its state as a courtesy client")]
    public static partial void CourtesyClient(ILogger logger, ulong clientId);

    [LoggerMessage(4042, LogLevel.Information, "NFSv4 courtesy client {ClientId:x} expired: another client's request conflicts with its state")]
    public static partial void CourtesyConflict(ILogger logger, ulong clientId);

    [LoggerMessage(4005, LogLevel.Debug, "NFSv4 op {Op} failed: {Status}")]
    public static partial void OpFailed(ILogger logger, uint op, Nfs4Status status);

    [LoggerMessage(4006, LogLevel.Error, "NFSv4 lease expiry pass failed")]
    public static partial void ReaperFailed(ILogger logger, Exception ex);

    [LoggerMessage(4004, LogLevel.Warning, "cannot write the NFSv4 client list")]
    public static partial void OwnersFileFailed(ILogger logger, Exception ex);

    // 4040-4049: back channel and delegations.
    [LoggerMessage(4040, LogLevel.Debug, "NFSv4 client {ClientId:x} back channel probe: {Up}")]
    public static partial void BackChannelProbed(ILogger logger, ulong clientId, bool up);

    [LoggerMessage(4041, LogLevel.Warning, "NFSv4 callback to client {ClientId:x} failed")]
    public static partial void CallbackFailed(ILogger logger, Exception ex, ulong clientId);

    [LoggerMessage(4042, LogLevel.Debug, "NFSv4 recalling the delegation of client {ClientId:x} on inode {Inode}")]
    public static partial void Recalling(ILogger logger, ulong clientId, ulong inode);

    [LoggerMessage(4043, LogLevel.Information, "NFSv4 delegation of client {ClientId:x} on inode {Inode} revoked: not returned within a lease")]
    public static partial void DelegationRevoked(ILogger logger, ulong clientId, ulong inode);

    [LoggerMessage(4050, LogLevel.Debug, "NFSv4.2 asynchronous copy {Copy:x} of client {ClientId:x} into inode {Inode}: {Status}, {Bytes} bytes")]
    public static partial void CopyFinished(ILogger logger, ulong copy, ulong clientId, ulong inode, Nfs4Status status, ulong bytes);

    [LoggerMessage(4051, LogLevel.Warning, "NFSv4.2 CB_OFFLOAD to client {ClientId:x} not answered: it learns of copy {Copy:x} by OFFLOAD_STATUS")]
    public static partial void OffloadUnanswered(ILogger logger, ulong clientId, ulong copy);
}
