using System.Net;
using System.Security.Cryptography;
using System.Text;
using DittoFs.Server.Options;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Admin;

/// <summary>
/// Guards the admin endpoints that change state (flush, gc): with a token configured (DittoFs:Admin:Token or
/// :TokenFile) they need <c>Authorization: Bearer &lt;token&gt;</c> (none: 401, another: 403); without one they
/// answer only when the HTTP listener is bound to loopback, where only this machine reaches them, and refuse
/// with 403 and the reason on any other address (a container's 0.0.0.0 published on a public interface).
/// </summary>
internal sealed class AdminAuthorization
{
    private readonly byte[]? _tokenHash;
    private readonly bool _loopback;
    private readonly string _address;
    private readonly ILogger<AdminAuthorization> _logger;

    public AdminAuthorization(IOptions<DittoFsOptions> options, ILogger<AdminAuthorization> logger)
    {
        _logger = logger;
        _address = options.Value.ListenAddress;
        _loopback = IPAddress.TryParse(_address, out IPAddress? address) && IPAddress.IsLoopback(address);
        string? token = options.Value.Admin.ResolveToken();
        // Compared as hashes, in constant time: neither the token's bytes nor its length leak through timing.
        _tokenHash = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        if (_tokenHash is not null) AdminLog.TokenRequired(logger);
        else if (!_loopback) AdminLog.Disabled(logger, _address);
    }

    /// <summary>Null when the call may go on; otherwise the refusal to send.</summary>
    public IResult? Check(HttpContext context)
    {
        if (_tokenHash is null)
        {
            if (_loopback) return null;
            return Refuse(context, StatusCodes.Status403Forbidden,
                $"admin endpoints that change state are disabled: the HTTP listener is bound to {_address}, not loopback, " +
                "and no DittoFs:Admin:Token (or DittoFs:Admin:TokenFile) is set");
        }
        string? header = context.Request.Headers.Authorization;
        const string Bearer = "Bearer ";
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"dittofs\"";
            return Refuse(context, StatusCodes.Status401Unauthorized,
                "this admin endpoint needs 'Authorization: Bearer <token>' (DittoFs:Admin:Token; the CLI sends DITTOFS_ADMIN_TOKEN or --token)");
        }
        byte[] offered = SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(offered, _tokenHash) ? null : Refuse(context, StatusCodes.Status403Forbidden, "wrong admin token");
    }

    private IResult Refuse(HttpContext context, int status, string reason)
    {
        AdminLog.Refused(_logger, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString(), reason);
        return Results.Text(reason + "\n", statusCode: status);
    }
}
