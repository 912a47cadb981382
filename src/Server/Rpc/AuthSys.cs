using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Rpc;

/// <summary>
/// AUTH_SYS credential body (RFC 5531 appendix A).
/// <code>
/// stamp | machinename&lt;255&gt; | uid | gid | gids&lt;16&gt;
/// </code>
/// A body that lies about its lengths (a name or group count past the limit
/// or past the end of the body, bytes left over) is rejected as AUTH_BADCRED.
/// </summary>
internal static class AuthSys
{
    public const uint Nobody = 65534;
    private const int MaxMachineName = 255;
    private const int MaxGroups = 16;

    public static bool TryParse(ReadOnlyMemory<byte> body, out Caller caller)
    {
        caller = default;
        try
        {
            var reader = new XdrReader(body);
            _ = reader.ReadUInt32(); // stamp
            _ = reader.ReadOpaque(MaxMachineName);
            caller.Uid = reader.ReadUInt32();
            caller.Gid = reader.ReadUInt32();
            int count = reader.ReadArrayLength(MaxGroups);
            for (int i = 0; i < count; i++) caller.Groups[i] = reader.ReadUInt32();
            caller.GroupCount = count;
            return reader.End;
        }
        catch (XdrException)
        {
            return false;
        }
    }
}
