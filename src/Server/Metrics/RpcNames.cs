using System.Collections.Frozen;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Rpc;

namespace DittoFs.Server.Metrics;

/// <summary>
/// Label values of one (program, version, procedure), made once so recording a
/// call allocates nothing: the strings are shared by every measurement.
/// </summary>
internal sealed class ProcedureLabels(string program, string version, string procedure, RpcNames.StatusKind status)
{
    public readonly string Program = program;
    public readonly string Version = version;
    public readonly string Procedure = procedure;

    /// <summary>Where the procedure's own status sits in its result (the first word, or nowhere).</summary>
    public readonly RpcNames.StatusKind Status = status;
}

/// <summary>
/// Names of the RPC programs and procedures DittoFs serves, as metric labels
/// (lower case, the RFC names), and the status label of a finished call read
/// from its reply: an RPC-level failure (prog_unavail, garbage_args, auth_error,
/// ...) or, for NFS and MNT, the protocol status in the result's first word
/// (ok, noent, stale, ...).
/// </summary>
internal static class RpcNames
{
    public enum StatusKind
    {
        /// <summary>The result carries no status: a successful RPC is "ok".</summary>
        None,
        /// <summary>The result starts with an nfsstat3 / mountstat3.</summary>
        FirstWord,
        /// <summary>The result starts with an nfsstat4 (COMPOUND4res): named after RFC 8881, so GRACE is "grace", not "error".</summary>
        FirstWordNfs4,
    }

    public const string Ok = "ok";
    public const string NoReply = "no_reply";
    public const string Error = "error";
    public const string Unknown = "unknown";

    private static readonly string[] s_versions = ["0", "1", "2", "3", "4", "5"];

    // (program, version) → procedure names in procedure-number order; the status kind of each.
    private static readonly (uint Program, string Name, uint LowVersion, uint HighVersion, string[] Procedures, Func<uint, uint, StatusKind> Status)[] s_programs =
    [
        (RpcPrograms.Portmap, "portmap", 2, 2, ["null", "set", "unset", "getport", "dump", "callit"], static (_, _) => StatusKind.None),
        (RpcPrograms.Mount, "mount", 1, 3, ["null", "mnt", "dump", "umnt", "umntall", "export"], static (_, p) => p == 1 ? StatusKind.FirstWord : StatusKind.None),
        // NFSv3: the procedure table's names (RFC 1813), lower case as the other programs' labels.
        (RpcPrograms.Nfs, "nfs", 3, 3, Nfs3Program.Procedures.Select(p => p.Name.ToLowerInvariant()).ToArray(),
            static (_, p) => p == 0 ? StatusKind.None : StatusKind.FirstWord),
        (RpcPrograms.Nfs, "nfs", 4, 4, ["null", "compound"], static (_, p) => p == 0 ? StatusKind.None : StatusKind.FirstWordNfs4),
    ];

    private static readonly FrozenDictionary<ulong, ProcedureLabels> s_labels = Build();
    private static readonly FrozenDictionary<uint, string> s_programNames =
        s_programs.DistinctBy(p => p.Program).ToFrozenDictionary(p => p.Program, p => p.Name);
    private static readonly ProcedureLabels s_unknownProgram = new(Unknown, Unknown, Unknown, StatusKind.None);

    // nfsstat3 (and the nfsstat4 / mountstat3 values that share its numbers), as "noent", "stale", ...
    private static readonly FrozenDictionary<int, string> s_statusNames =
        Enum.GetValues<Nfs3Status>().ToFrozenDictionary(s => (int)s, s => s.ToString().ToLowerInvariant());

    // nfsstat4 as "noent", "grace", "op_illegal", ... (the RFC 8881 names without NFS4ERR_, lower case).
    private static readonly FrozenDictionary<int, string> s_nfs4StatusNames = NfsStatusNames.Nfs4Numbers.ToFrozenDictionary(
        n => n.Number, n => n.Number == 0 ? Ok : n.Name["NFS4ERR_".Length..].ToLowerInvariant());

    private static readonly string[] s_acceptNames = ["ok", "prog_unavail", "prog_mismatch", "proc_unavail", "garbage_args", "system_err"];

    public static IEnumerable<ProcedureLabels> All => s_labels.Values;

    /// <summary>The labels of a call; "unknown" parts for programs and procedures DittoFs does not serve.</summary>
    public static ProcedureLabels Of(uint program, uint version, uint procedure)
    {
        if (s_labels.TryGetValue(Key(program, version, procedure), out ProcedureLabels? labels)) return labels;
        if (!s_programNames.TryGetValue(program, out string? name)) return s_unknownProgram;
        // A served program with an odd version or procedure: keep the program, bound the label values.
        return s_labels.TryGetValue(Key(program, uint.MaxValue, uint.MaxValue), out labels) ? labels : s_unknownProgram;
    }

    /// <summary>The status label of the reply a handler wrote (see the class summary).</summary>
    public static string StatusOf(ProcedureLabels labels, Buffers.ReplyBuffer? reply)
    {
        // Reply body: xid, REPLY, reply_stat, then accepted: verifier (flavor, length = 0), accept_stat, result...
        //                                          or denied: reject_stat, ...
        if (reply is null || !reply.TryReadBodyWord(8, out uint replyStatus)) return NoReply;
        if (replyStatus != (uint)ReplyStatus.Accepted)
        {
            return reply.TryReadBodyWord(12, out uint reject) && reject == (uint)RejectStatus.RpcMismatch ? "rpc_mismatch" : "auth_error";
        }
        if (!reply.TryReadBodyWord(20, out uint accept)) return NoReply;
        if (accept != (uint)AcceptStatus.Success) return accept < s_acceptNames.Length ? s_acceptNames[accept] : Error;
        if (labels.Status == StatusKind.None || !reply.TryReadBodyWord(24, out uint status)) return Ok;
        FrozenDictionary<int, string> names = labels.Status == StatusKind.FirstWordNfs4 ? s_nfs4StatusNames : s_statusNames;
        return names.TryGetValue((int)status, out string? name) ? name : Error;
    }

    private static ulong Key(uint program, uint version, uint procedure) =>
        (ulong)program << 32 | (ulong)Math.Min(version, 0xFFFFu) << 16 | Math.Min(procedure, 0xFFFFu);

    private static FrozenDictionary<ulong, ProcedureLabels> Build()
    {
        var labels = new Dictionary<ulong, ProcedureLabels>();
        foreach (var p in s_programs)
        {
            for (uint v = p.LowVersion; v <= p.HighVersion; v++)
            {
                string version = v < s_versions.Length ? s_versions[v] : Unknown;
                for (uint proc = 0; proc < p.Procedures.Length; proc++)
                {
                    labels[Key(p.Program, v, proc)] = new ProcedureLabels(p.Name, version, p.Procedures[proc], p.Status(v, proc));
                }
            }
            labels.TryAdd(Key(p.Program, uint.MaxValue, uint.MaxValue), new ProcedureLabels(p.Name, Unknown, Unknown, StatusKind.None));
        }
        return labels.ToFrozenDictionary();
    }
}
