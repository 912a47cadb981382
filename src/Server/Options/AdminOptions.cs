namespace DittoFs.Server.Options;

/// <summary>
/// DittoFs:Admin: the bearer token that the state-changing <c>/admin/*</c> endpoints (flush, gc) ask for.
/// Without one they answer only when the HTTP listener is bound to loopback; on any other address they refuse (403).
/// </summary>
public sealed class AdminOptions
{
    /// <summary>The token itself (e.g. DittoFs__Admin__Token). Empty = none.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the token (a Docker secret: /run/secrets/...); read at start-up, surrounding whitespace trimmed.</summary>
    public string? TokenFile { get; set; }

    /// <summary>The configured token (Token first, else TokenFile's content), or null when neither is set.</summary>
    public string? ResolveToken()
    {
        if (!string.IsNullOrWhiteSpace(Token)) return Token.Trim();
        if (string.IsNullOrWhiteSpace(TokenFile)) return null;
        string token = File.ReadAllText(TokenFile).Trim();
        return token.Length == 0 ? throw new InvalidOperationException($"DittoFs:Admin:TokenFile {TokenFile} is empty") : token;
    }
}
