using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Admin;

/// <summary>Log events of the admin endpoints: how they are guarded (once at start-up) and each refused call.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(9001, LogLevel.Warning, "Admin endpoints that change state (POST /admin/*) are disabled: the HTTP listener is bound to {Address}, not loopback, and no DittoFs:Admin:Token or DittoFs:Admin:TokenFile is set")]
    public static partial void Disabled(ILogger logger, string address);

    [LoggerMessage(9002, LogLevel.Information, "Admin endpoints that change state (POST /admin/*) ask for the bearer token")]
    public static partial void TokenRequired(ILogger logger);

    [LoggerMessage(9003, LogLevel.Warning, "Refused {Method} {Path} from {Remote}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string path, string? remote, string reason);
}
