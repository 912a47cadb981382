using DittoFs.Server.Metrics;
using DittoFs.Server.Rpc;

namespace DittoFs.Server.Protocol.Nfs3;

/// <summary>What the server needs to know about a procedure besides its handler (ganesha's <c>MAKES_WRITE | CAN_BE_DUP</c>).</summary>
[Flags]
internal enum Nfs3Flags : byte
{
    None = 0,
    /// <summary>Changes the filesystem: NFS3ERR_ROFS on a read-only export.</summary>
    Modifies = 1,
    /// <summary>A second execution would answer differently: the reply goes through the duplicate request cache (knfsd's RC_REPLBUFF set).</summary>
    NonIdempotent = 2,
}

/// <summary>One NFSv3 procedure: number, RFC 1813 name, flags and handler; the metric tag is made once here.</summary>
internal sealed class Nfs3ProcedureInfo(Nfs3Procedure procedure, string name, Nfs3Flags flags, Func<Nfs3Program, RpcCall, ValueTask> handler)
{
    public readonly Nfs3Procedure Procedure = procedure;
    public readonly string Name = name;
    public readonly Nfs3Flags Flags = flags;
    public readonly Func<Nfs3Program, RpcCall, ValueTask> Handler = handler;
    public readonly KeyValuePair<string, object?> OpTag = NfsMetrics.OpTag(name);

    public bool Modifies => (Flags & Nfs3Flags.Modifies) != 0;

    public bool NonIdempotent => (Flags & Nfs3Flags.NonIdempotent) != 0;
}

internal sealed partial class Nfs3Program
{
    private const Nfs3Flags Change = Nfs3Flags.Modifies | Nfs3Flags.NonIdempotent;

    /// <summary>
    /// The procedure table, indexed by procedure number: dispatch, the duplicate request
    /// cache, read-only exports and metrics all read it. Adding a procedure = one handler file + one row.
    /// WRITE is not cached (a retried WRITE writes the same bytes again); COMMIT changes nothing visible.
    /// </summary>
    private static readonly Nfs3ProcedureInfo[] s_procedures =
    [
        new(Nfs3Procedure.Null, "NULL", Nfs3Flags.None, static (_, call) => Null(call)),                     // 0
        new(Nfs3Procedure.GetAttr, "GETATTR", Nfs3Flags.None, static (p, call) => p.GetAttrAsync(call)),     // 1
        new(Nfs3Procedure.SetAttr, "SETATTR", Change, static (p, call) => p.SetAttrAsync(call)),             // 2
        new(Nfs3Procedure.Lookup, "LOOKUP", Nfs3Flags.None, static (p, call) => p.LookupAsync(call)),        // 3
        new(Nfs3Procedure.Access, "ACCESS", Nfs3Flags.None, static (p, call) => p.AccessAsync(call)),        // 4
        new(Nfs3Procedure.ReadLink, "READLINK", Nfs3Flags.None, static (p, call) => p.ReadLinkAsync(call)),  // 5
        new(Nfs3Procedure.Read, "READ", Nfs3Flags.None, static (p, call) => p.ReadAsync(call)),              // 6
        new(Nfs3Procedure.Write, "WRITE", Nfs3Flags.Modifies, static (p, call) => p.WriteAsync(call)),       // 7
        new(Nfs3Procedure.Create, "CREATE", Change, static (p, call) => p.CreateAsync(call)),                // 8
        new(Nfs3Procedure.MkDir, "MKDIR", Change, static (p, call) => p.MkDirAsync(call)),                   // 9
        new(Nfs3Procedure.Symlink, "SYMLINK", Change, static (p, call) => p.SymlinkAsync(call)),             // 10
        new(Nfs3Procedure.MkNod, "MKNOD", Change, static (p, call) => p.MkNodAsync(call)),                   // 11
        new(Nfs3Procedure.Remove, "REMOVE", Change, static (p, call) => p.RemoveAsync(call)),                // 12
        new(Nfs3Procedure.RmDir, "RMDIR", Change, static (p, call) => p.RmDirAsync(call)),                   // 13
        new(Nfs3Procedure.Rename, "RENAME", Change, static (p, call) => p.RenameAsync(call)),                // 14
        new(Nfs3Procedure.Link, "LINK", Change, static (p, call) => p.LinkAsync(call)),                      // 15
        new(Nfs3Procedure.ReadDir, "READDIR", Nfs3Flags.None, static (p, call) => p.ReadDirAsync(call)),     // 16
        new(Nfs3Procedure.ReadDirPlus, "READDIRPLUS", Nfs3Flags.None, static (p, call) => p.ReadDirPlusAsync(call)), // 17
        new(Nfs3Procedure.FsStat, "FSSTAT", Nfs3Flags.None, static (p, call) => p.FsStatAsync(call)),        // 18
        new(Nfs3Procedure.FsInfo, "FSINFO", Nfs3Flags.None, static (p, call) => p.FsInfoAsync(call)),        // 19
        new(Nfs3Procedure.PathConf, "PATHCONF", Nfs3Flags.None, static (p, call) => p.PathConfAsync(call)),  // 20
        new(Nfs3Procedure.Commit, "COMMIT", Nfs3Flags.None, static (p, call) => p.CommitAsync(call)),        // 21
    ];

    /// <summary>The procedures in number order (metric labels of the RPC layer read their names here).</summary>
    public static IReadOnlyList<Nfs3ProcedureInfo> Procedures => s_procedures;

    /// <summary>The descriptor of a procedure number; null for a number RFC 1813 does not define.</summary>
    public static Nfs3ProcedureInfo? Describe(uint procedure) => procedure < (uint)s_procedures.Length ? s_procedures[procedure] : null;
}
