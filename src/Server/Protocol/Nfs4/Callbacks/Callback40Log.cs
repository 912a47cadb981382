using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Protocol.Nfs4;

// 4060-4069: the NFSv4.0 callback path (SETCLIENTID's cb_location).
internal static partial class Nfs4Log
{
    [LoggerMessage(4060, LogLevel.Debug, "NFSv4.0 client {ClientId:x} callback probe: {Up}")]
    public static partial void Callback40Probed(ILogger logger, ulong clientId, bool up);

    [LoggerMessage(4061, LogLevel.Information, "NFSv4.0 client {ClientId:x} callback address {Netid} {Address} not called: malformed or not the client's own host")]
    public static partial void Callback40Refused(ILogger logger, ulong clientId, string netid, string address);
}
