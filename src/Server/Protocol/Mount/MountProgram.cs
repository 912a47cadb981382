using System.Text;
using DittoFs.Server.Exports;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Mount;

/// <summary>
/// MOUNT (RFC 1813 appendix I, program 100005), versions 1 to 3 so that
/// showmount (which speaks v1) works too. MNT resolves an export path, or a
/// directory below one, to a file handle.
/// </summary>
internal sealed class MountProgram(StorageHost storage) : IRpcProgram
{
    private const int V1HandleSize = 32;

    private readonly MountTable _mounts = new();

    public uint Program => RpcPrograms.Mount;
    public uint LowVersion => 1;
    public uint HighVersion => 3;

    public ValueTask HandleAsync(RpcCall call)
    {
        switch ((MountProcedure)call.Procedure)
        {
            case MountProcedure.Null: // 0
                call.ReplyVoid();
                return ValueTask.CompletedTask;
            case MountProcedure.Mnt: // 1
                return MntAsync(call);
            case MountProcedure.Dump: // 2
                Dump(call);
                return ValueTask.CompletedTask;
            case MountProcedure.Umnt: // 3
                Umnt(call);
                return ValueTask.CompletedTask;
            case MountProcedure.UmntAll: // 4
                UmntAll(call);
                return ValueTask.CompletedTask;
            case MountProcedure.Export: // 5
                ListExports(call);
                return ValueTask.CompletedTask;
            default:
                call.ReplyAccepted(AcceptStatus.ProcedureUnavailable);
                return ValueTask.CompletedTask;
        }
    }

    private async ValueTask MntAsync(RpcCall call)
    {
        if (!call.TryDecode(out DirPathArgs args)) return;
        (MountStatus status, FileId root) = await ResolveAsync(call, args.DirPath ?? "");
        if (status == MountStatus.Ok) _mounts.Add(Host(call), args.DirPath!);
        if (call.Version < 3)
        {
            // fhstatus: status, then (on success) a fixed 32-byte fhandle.
            var writer = call.BeginSuccess();
            writer.WriteInt32((int)status);
            if (status == MountStatus.Ok) writer.WriteFixedOpaque(FileHandle.ToArray(root), V1HandleSize);
            writer.Flush();
            return;
        }
        call.ReplySuccess(status == MountStatus.Ok
            ? new MountRes3 { Status = MountStatus.Ok, MountInfo = new MountRes3Ok { FHandle = FileHandle.ToArray(root), AuthFlavors = [(int)AuthFlavor.Sys] } }
            : new MountRes3 { Status = status });
    }

    /// <summary>The export whose path is the longest prefix of <paramref name="path"/>, then the rest looked up inside it.</summary>
    private async ValueTask<(MountStatus, FileId)> ResolveAsync(RpcCall call, string path)
    {
        string normalized = MountTable.Canonical(path); // "//export///m/" is "/export/m"
        ExportTable exports = storage.Exports; // one snapshot for the whole walk (exports change at run time)
        Export? export = null;
        string rest = "";
        for (string candidate = normalized; ; candidate = ExportTable.NormalizePath(candidate[..candidate.LastIndexOf('/')]))
        {
            export = exports.FindByPath(candidate);
            if (export is not null)
            {
                rest = normalized[candidate.Length..];
                break;
            }
            if (candidate == "/") break;
        }
        if (export is null) return (MountStatus.NoEnt, default);
        if (!export.IsClientAllowed(call.Connection.RemoteEndPoint?.Address)) return (MountStatus.Acces, default);
        if (!export.TryMapCaller(call.Header.CredentialFlavor, call.Caller, out Caller caller)) return (MountStatus.Acces, default);

        FileId current = export.Root;
        foreach (string part in rest.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part is "." or "..") return (MountStatus.Inval, default); // no climbing out of an export
            LookupResult found = await storage.FileSystem.LookupAsync(caller, current, Encoding.UTF8.GetBytes(part));
            if (found.Status != FsStatus.Ok) return (ToMount(found.Status), default);
            if (found.File.Type != FileType.Directory) return (MountStatus.NotDir, default);
            current = found.File.Id;
        }
        return (MountStatus.Ok, current);
    }

    private static MountStatus ToMount(FsStatus status) => status switch
    {
        FsStatus.NotFound or FsStatus.Stale => MountStatus.NoEnt,
        FsStatus.Access => MountStatus.Acces,
        FsStatus.NotPermitted => MountStatus.Perm,
        FsStatus.NotDirectory => MountStatus.NotDir,
        FsStatus.NameTooLong => MountStatus.NameTooLong,
        FsStatus.Invalid => MountStatus.Inval,
        _ => MountStatus.Io,
    };

    private void Dump(RpcCall call) => call.ReplySuccess(new MountList { Head = _mounts.Dump() });

    private void Umnt(RpcCall call)
    {
        if (!call.TryDecode(out DirPathArgs args)) return;
        _mounts.Remove(Host(call), args.DirPath ?? "");
        call.ReplyVoid();
    }

    private void UmntAll(RpcCall call)
    {
        _mounts.RemoveAll(Host(call));
        call.ReplyVoid();
    }

    private void ListExports(RpcCall call)
    {
        ExportNode? head = null;
        foreach (Export export in storage.Exports.All.OrderByDescending(e => e.Path, StringComparer.Ordinal))
        {
            GroupNode? groups = null;
            foreach (string network in export.Options.AllowedClients) groups = new GroupNode { Name = network, Next = groups };
            head = new ExportNode { Dir = export.Path, Groups = groups ?? new GroupNode { Name = "*" }, Next = head };
        }
        call.ReplySuccess(new ExportList { Head = head });
    }

    private static string Host(RpcCall call) => call.Connection.RemoteEndPoint?.Address.ToString() ?? "unknown";
}
