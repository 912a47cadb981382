using DittoFs.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Rpc;

/// <summary>
/// Routes a parsed call to its program: PROG_UNAVAIL for an unknown program,
/// PROG_MISMATCH for a version out of range, AUTH_ERROR for a credential
/// flavor we do not accept or a malformed AUTH_SYS body. A handler that throws
/// answers SYSTEM_ERR; the connection and the server carry on.
/// </summary>
internal sealed class Dispatcher
{
    // Several programs may share a number, each with its own version range (NFSv3 and NFSv4 on 100003).
    private readonly Dictionary<uint, IRpcProgram[]> _programs;
    private readonly ILogger<Dispatcher> _logger;
    private readonly ReplyCache _replyCache = new();

    public Dispatcher(IEnumerable<IRpcProgram> programs, ILogger<Dispatcher> logger, RpcMetrics metrics)
    {
        _programs = programs.GroupBy(p => p.Program).ToDictionary(g => g.Key, g => g.OrderBy(p => p.LowVersion).ToArray());
        _logger = logger;
        Metrics = metrics;
    }

    /// <summary>The RPC layer's metrics (connections record calls, bytes and connections here).</summary>
    public RpcMetrics Metrics { get; }

    /// <summary>The program's guess at the reply size (<see cref="IRpcProgram.ReplySizeHint"/>); 0 = unknown.</summary>
    public int ReplySizeHint(RpcCall call)
    {
        if (!_programs.TryGetValue(call.Header.Program, out IRpcProgram[]? versions)) return 0;
        foreach (IRpcProgram program in versions)
        {
            if (call.Header.Version >= program.LowVersion && call.Header.Version <= program.HighVersion) return program.ReplySizeHint(call);
        }
        return 0;
    }

    public async ValueTask DispatchAsync(RpcCall call)
    {
        if (!_programs.TryGetValue(call.Header.Program, out IRpcProgram[]? versions))
        {
            call.ReplyAccepted(AcceptStatus.ProgramUnavailable);
            return;
        }
        IRpcProgram? program = null;
        foreach (IRpcProgram candidate in versions)
        {
            if (call.Header.Version >= candidate.LowVersion && call.Header.Version <= candidate.HighVersion) program = candidate;
        }
        if (program is null)
        {
            // PROG_MISMATCH reports the overall range (3..4 for NFS).
            call.ReplyProgramMismatch(versions[0].LowVersion, versions.Max(p => p.HighVersion));
            return;
        }
        if (!call.Header.CredentialValid)
        {
            // Unknown flavors (RPCSEC_GSS, AUTH_DH) and AUTH_SYS bodies that lie about their lengths.
            // knfsd answers AUTH_BADCRED to both (svc_authenticate).
            call.ReplyAuthError(AuthStatus.BadCredential);
            return;
        }
        bool cached = program.IsNonIdempotent(call);
        if (cached)
        {
            switch (_replyCache.Begin(call, out byte[]? previous))
            {
                case ReplyCache.Lookup.InProgress:
                    return; // the first copy is still running; its reply answers the client
                case ReplyCache.Lookup.Replay:
                    call.ReplyRaw(previous);
                    return;
            }
        }
        try
        {
            await program.HandleAsync(call);
            if (cached)
            {
                if (call.ReplyBuffer is { } reply && !call.KeepOutOfReplyCache) _replyCache.Complete(call, reply.Body);
                else _replyCache.Abandon(call);
            }
        }
        catch (Exception ex)
        {
            RpcLog.HandlerFailed(_logger, ex, call.Header.Program, call.Header.Version, call.Header.Procedure);
            if (cached) _replyCache.Abandon(call);
            call.ReplyAccepted(AcceptStatus.SystemError);
        }
    }
}
