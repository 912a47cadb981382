using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Payload;

/// <summary>What the local payload store says: a full disk (once, then once a minute) and its end.</summary>
internal static partial class PayloadLog
{
    [LoggerMessage(EventId = 3401, Level = LogLevel.Error, Message = "NOSPC: payload disk full at {Directory}: {FreeBytes} bytes free, {ReserveBytes} kept in reserve; writes refused ({Refused} so far)")]
    public static partial void DiskFull(ILogger logger, string directory, long freeBytes, long reserveBytes, long refused);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Information, Message = "Payload disk has room again after {Seconds:0.0} s ({Refused} writes refused)")]
    public static partial void DiskRoomAgain(ILogger logger, double seconds, long refused);
}
