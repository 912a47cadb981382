using Microsoft.Extensions.Logging;

namespace DittoFs.Storage.Metadata.Shipping;

/// <summary>What metadata shipping says: the bucket failing (once, then once a minute), recovering, and a final round that did not make it.</summary>
internal static partial class ShippingLog
{
    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "Metadata shipping to the bucket failing: {Reason}; {LagBytes} WAL bytes not shipped, retrying with backoff")]
    public static partial void Failing(ILogger logger, string reason, long lagBytes);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Metadata shipping still failing after {Seconds:0} s ({Failures} failed rounds): {Reason}; {LagBytes} WAL bytes not shipped")]
    public static partial void StillFailing(ILogger logger, double seconds, long failures, string reason, long lagBytes);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Metadata shipping recovered after {Seconds:0.0} s ({Failures} failed rounds); shipped to WAL {Shipped}")]
    public static partial void Recovered(ILogger logger, double seconds, long failures, long shipped);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "Metadata shipping: the final round at shutdown failed ({Reason}); the bucket holds the WAL to {Shipped}, {LagBytes} bytes behind")]
    public static partial void FinalRoundFailed(ILogger logger, string reason, long shipped, long lagBytes);
}
