using DittoFs.Server.Protocol;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Exports;

/// <summary>Why a handle did not resolve; each protocol maps it to its own status (see <see cref="HandleResolver"/>).</summary>
internal enum HandleStatus : byte
{
    Ok,
    /// <summary>Not a handle we made: NFS3ERR_BADHANDLE / NFS4ERR_BADHANDLE.</summary>
    BadHandle,
    /// <summary>Our handle, but no export serves its volume: STALE (NFSv4 first asks its pseudo-fs).</summary>
    NoExport,
    /// <summary>The client's address is outside the export's networks: ACCES / NFS4ERR_ACCESS.</summary>
    ClientRefused,
    /// <summary>The export refuses the credential's flavor: ACCES over v3, NFS4ERR_WRONGSEC over v4.</summary>
    FlavorRefused,
}

/// <summary>A handle resolved: the file, its export, and the caller as that export sees them (squashed).</summary>
internal readonly record struct ResolvedHandle(FileId Id, Export Export, Caller Caller);

/// <summary>
/// Handle → export → caller, the one path NFSv3 and NFSv4 share: the handle's
/// bytes name a volume, the volume an export, and the export decides whether
/// this client may come in and as whom.
/// </summary>
internal static class HandleResolver
{
    /// <summary>Resolves handle bytes; <paramref name="id"/> is set whenever they parse (NFSv4 then checks its pseudo-fs on NoExport).</summary>
    public static HandleStatus Resolve(ExportTable exports, RpcCall call, ReadOnlySpan<byte> handle, out FileId id, out ResolvedHandle target)
    {
        target = default;
        if (!FileHandle.TryRead(handle, out id)) return HandleStatus.BadHandle;
        Export? export = exports.FindByVolume(id.Volume);
        if (export is null) return HandleStatus.NoExport;
        return Admit(export, id, call, out target);
    }

    /// <summary>A file of a known export (a handle resolved, or an export root reached by name): client networks, then flavor and squash.</summary>
    public static HandleStatus Admit(Export export, FileId id, RpcCall call, out ResolvedHandle target)
    {
        target = default;
        if (!export.IsClientAllowed(call.Connection.RemoteEndPoint?.Address)) return HandleStatus.ClientRefused;
        if (!export.TryMapCaller(call.Header.CredentialFlavor, call.Caller, out Caller caller)) return HandleStatus.FlavorRefused;
        target = new ResolvedHandle(id, export, caller);
        return HandleStatus.Ok;
    }
}
