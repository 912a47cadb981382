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

    public Dispatcher(IEnumerable<IRpcProgram> programs, ILogger<Dispatcher> logger)
    {
        _programs = programs.GroupBy(p => p.Program).ToDictionary(g => g.Key, g => g.OrderBy(p => p.LowVersion).ToArray());
        _logger = logger;
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
        try
        {
            await program.HandleAsync(call);
        }
        catch (Exception ex)
        {
            RpcLog.HandlerFailed(_logger, ex, call.Header.Program, call.Header.Version, call.Header.Procedure);
            call.ReplyAccepted(AcceptStatus.SystemError);
        }
    }
}
