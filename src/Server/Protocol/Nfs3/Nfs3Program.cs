using DittoFs.Server.Exports;
using DittoFs.Server.Options;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nfs3;

/// <summary>
/// NFS version 3 (RFC 1813), program 100003. One file per procedure
/// (Nfs3Program.&lt;Procedure&gt;.cs); each decodes its generated args, resolves
/// the handle to an export and a squashed caller, calls the filesystem, maps
/// its status and replies with the result union.
/// </summary>
internal sealed partial class Nfs3Program(StorageHost storage, IOptions<DittoFsOptions> options) : IRpcProgram
{
    public uint Program => RpcPrograms.Nfs;
    public uint LowVersion => 3;
    public uint HighVersion => 3;

    private IFileSystem Fs => storage.FileSystem;

    private DittoFsOptions Options => options.Value;

    public ValueTask HandleAsync(RpcCall call)
    {
        if (call.Procedure != (uint)Nfs3Procedure.Null && IsFlavorTooWeak(call))
        {
            call.ReplyAuthError(AuthStatus.TooWeak);
            return ValueTask.CompletedTask;
        }
        return Dispatch(call);
    }

    /// <summary>
    /// RFC 2623 §2.3.2: a call whose flavor the export refuses (AUTH_NONE where only AUTH_SYS is
    /// allowed) is answered AUTH_ERROR / AUTH_TOOWEAK, as ganesha does, rather than an NFS status.
    /// Every procedure but NULL starts with the handle that names the export.
    /// </summary>
    private bool IsFlavorTooWeak(RpcCall call)
    {
        if (call.Header.CredentialFlavor != AuthFlavor.None) return false;
        NfsFh3 handle;
        try
        {
            var reader = new DittoFs.Xdr.XdrReader(call.Arguments);
            handle = NfsFh3.Decode(ref reader);
        }
        catch (DittoFs.Xdr.XdrException)
        {
            return false; // GARBAGE_ARGS from the procedure
        }
        if (!FileHandle.TryRead(handle.Data.Span, out FileId id)) return false;
        Export? export = storage.Exports.FindByVolume(id.Volume);
        return export is not null && !export.TryMapCaller(call.Header.CredentialFlavor, call.Caller, out _);
    }

    private ValueTask Dispatch(RpcCall call) => (Nfs3Procedure)call.Procedure switch
    {
        Nfs3Procedure.Null => Null(call),               // 0
        Nfs3Procedure.GetAttr => GetAttrAsync(call),    // 1
        Nfs3Procedure.SetAttr => SetAttrAsync(call),    // 2
        Nfs3Procedure.Lookup => LookupAsync(call),      // 3
        Nfs3Procedure.Access => AccessAsync(call),      // 4
        Nfs3Procedure.ReadLink => ReadLinkAsync(call),  // 5
        Nfs3Procedure.Read => ReadAsync(call),          // 6
        Nfs3Procedure.Write => WriteAsync(call),        // 7
        Nfs3Procedure.Create => CreateAsync(call),      // 8
        Nfs3Procedure.MkDir => MkDirAsync(call),        // 9
        Nfs3Procedure.Symlink => SymlinkAsync(call),    // 10
        Nfs3Procedure.MkNod => MkNodAsync(call),        // 11
        Nfs3Procedure.Remove => RemoveAsync(call),      // 12
        Nfs3Procedure.RmDir => RmDirAsync(call),        // 13
        Nfs3Procedure.Rename => RenameAsync(call),      // 14
        Nfs3Procedure.Link => LinkAsync(call),          // 15
        Nfs3Procedure.ReadDir => ReadDirAsync(call),    // 16
        Nfs3Procedure.ReadDirPlus => ReadDirPlusAsync(call), // 17
        Nfs3Procedure.FsStat => FsStatAsync(call),      // 18
        Nfs3Procedure.FsInfo => FsInfoAsync(call),      // 19
        Nfs3Procedure.PathConf => PathConfAsync(call),  // 20
        Nfs3Procedure.Commit => CommitAsync(call),      // 21
        _ => Unavailable(call),
    };

    // Changes whose retransmission must replay the first reply (knfsd's RC_REPLBUFF set).
    public bool IsNonIdempotent(uint version, uint procedure) => (Nfs3Procedure)procedure is
        Nfs3Procedure.SetAttr or Nfs3Procedure.Create or Nfs3Procedure.MkDir or Nfs3Procedure.Symlink or
        Nfs3Procedure.MkNod or Nfs3Procedure.Remove or Nfs3Procedure.RmDir or Nfs3Procedure.Rename or
        Nfs3Procedure.Link;

    private static ValueTask Null(RpcCall call)
    {
        call.ReplyVoid();
        return ValueTask.CompletedTask;
    }

    private static ValueTask Unavailable(RpcCall call)
    {
        call.ReplyAccepted(AcceptStatus.ProcedureUnavailable);
        return ValueTask.CompletedTask;
    }

    /// <summary>A handle resolved: the file, its export, and the caller as the export sees them.</summary>
    private readonly record struct Target(FileId Id, Export Export, Caller Caller);

    /// <summary>
    /// Handle → export → caller. BADHANDLE for bytes that are not our handle,
    /// STALE for a volume no export serves, ACCES for a client outside the
    /// export's networks or a flavor it refuses, ROFS for a change to a
    /// read-only export.
    /// </summary>
    private Nfs3Status Resolve(RpcCall call, in NfsFh3 handle, bool write, out Target target)
    {
        target = default;
        if (!FileHandle.TryRead(handle.Data.Span, out FileId id)) return Nfs3Status.BadHandle;
        Export? export = storage.Exports.FindByVolume(id.Volume);
        if (export is null) return Nfs3Status.Stale;
        if (!export.IsClientAllowed(call.Connection.RemoteEndPoint?.Address)) return Nfs3Status.Acces;
        if (!export.TryMapCaller(call.Header.CredentialFlavor, call.Caller, out Caller caller)) return Nfs3Status.Acces;
        if (write && export.ReadOnly) return Nfs3Status.RoFs;
        target = new Target(id, export, caller);
        return Nfs3Status.Ok;
    }

    /// <summary>
    /// Checks a name the way knfsd's lookup_one_len does: empty or holding '/'
    /// or NUL → ACCES; over 255 bytes → NAMETOOLONG.
    /// </summary>
    private static Nfs3Status CheckName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.IndexOfAny((byte)'/', (byte)0) >= 0) return Nfs3Status.Acces;
        if (name.Length > FsLimits.MaxNameLength) return Nfs3Status.NameTooLong;
        return Nfs3Status.Ok;
    }

    private static bool IsDotOrDotDot(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("."u8) || name.SequenceEqual(".."u8);
}
