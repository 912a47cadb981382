using System.Diagnostics;
using System.Runtime.CompilerServices;
using DittoFs.Server.Exports;
using DittoFs.Server.Metrics;
using DittoFs.Server.Options;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nfs3;

/// <summary>
/// NFS version 3 (RFC 1813), program 100003. One file per procedure
/// (Nfs3Program.&lt;Procedure&gt;.cs) and one row in the procedure table
/// (Nfs3Procedures.cs); each decodes its generated args, resolves
/// the handle to an export and a squashed caller, calls the filesystem, maps
/// its status and replies with the result union.
/// </summary>
internal sealed partial class Nfs3Program(StorageHost storage, IOptions<DittoFsOptions> options, NfsMetrics? metrics = null, Nfs4.State.Nfs4State? nfs4 = null)
    : IRpcProgram
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
        if (Describe(call.Procedure) is not { } procedure)
        {
            call.ReplyAccepted(AcceptStatus.ProcedureUnavailable);
            return ValueTask.CompletedTask;
        }
        if (metrics is not { Enabled: true }) return procedure.Handler(this, call);
        long start = Stopwatch.GetTimestamp();
        KeyValuePair<string, object?> export = ExportOf(call, procedure);
        ValueTask handled = procedure.Handler(this, call);
        if (!handled.IsCompletedSuccessfully) return Measured(handled, procedure, call, export, start);
        handled.GetAwaiter().GetResult();
        Record(procedure, call, export, start);
        return ValueTask.CompletedTask;
    }

    /// <summary>The export label: every procedure but NULL starts with the handle (nfs_fh3, opaque&lt;64&gt;) whose volume names the export.</summary>
    private KeyValuePair<string, object?> ExportOf(RpcCall call, Nfs3ProcedureInfo procedure)
    {
        if (procedure.Procedure == Nfs3Procedure.Null) return NfsMetrics.ExportNone;
        ReadOnlySpan<byte> args = call.Arguments.Span;
        if (args.Length < 4) return NfsMetrics.ExportNone;
        uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(args);
        if (length > (uint)(args.Length - 4) || !FileHandle.TryRead(args.Slice(4, (int)length), out FileId id)) return NfsMetrics.ExportNone;
        return storage.Exports.FindByVolume(id.Volume)?.MetricTag ?? NfsMetrics.ExportNone;
    }

    // Pooled: a procedure that completes asynchronously (a WAL commit) costs no state-machine box for being measured.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask Measured(ValueTask handled, Nfs3ProcedureInfo procedure, RpcCall call, KeyValuePair<string, object?> export, long start)
    {
        await handled;
        Record(procedure, call, export, start);
    }

    /// <summary>Counts the procedure with the nfsstat3 its reply starts with (or the RPC failure it answered).</summary>
    private void Record(Nfs3ProcedureInfo procedure, RpcCall call, in KeyValuePair<string, object?> export, long start)
    {
        // Reply body: xid, REPLY, MSG_ACCEPTED, verifier (flavor, length = 0), accept_stat, then the result's nfsstat3.
        if (call.ReplyBuffer is not { } reply || !reply.TryReadBodyWord(20, out uint accept)) return;
        KeyValuePair<string, object?> status =
            accept != (uint)AcceptStatus.Success ? NfsStatusNames.Accept(accept)
            : procedure.Procedure == Nfs3Procedure.Null ? NfsStatusNames.Nfs3((int)Nfs3Status.Ok)
            : reply.TryReadBodyWord(24, out uint nfsstat) ? NfsStatusNames.Nfs3((int)nfsstat) : NfsStatusNames.Unknown;
        metrics!.OperationCompleted(NfsMetrics.Version3, procedure.OpTag, status, export, start);
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

    public bool IsNonIdempotent(uint version, uint procedure) => Describe(procedure)?.NonIdempotent == true;

    private static ValueTask Null(RpcCall call)
    {
        call.ReplyVoid();
        return ValueTask.CompletedTask;
    }

    /// <summary>A handle resolved: the file, its export, and the caller as the export sees them.</summary>
    private readonly record struct Target(FileId Id, Export Export, Caller Caller);

    /// <summary>
    /// Handle → export → caller (<see cref="HandleResolver"/>). BADHANDLE for bytes that are not
    /// our handle, STALE for a volume no export serves, ACCES for a client outside the
    /// export's networks or a flavor it refuses, ROFS when the procedure modifies
    /// (<see cref="Nfs3Flags.Modifies"/>) and the export is read-only.
    /// </summary>
    private Nfs3Status Resolve(RpcCall call, in NfsFh3 handle, out Target target)
    {
        target = default;
        switch (HandleResolver.Resolve(storage.Exports, call, handle.Data.Span, out _, out ResolvedHandle resolved))
        {
            case HandleStatus.Ok:
                break;
            case HandleStatus.BadHandle:
                return Nfs3Status.BadHandle;
            case HandleStatus.NoExport:
                return Nfs3Status.Stale;
            default:
                return Nfs3Status.Acces;
        }
        if (resolved.Export.ReadOnly && Describe(call.Procedure)?.Modifies == true) return Nfs3Status.RoFs;
        target = new Target(resolved.Id, resolved.Export, resolved.Caller);
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
