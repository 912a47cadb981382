namespace DittoFs.Server.Options;

/// <summary>
/// The "DittoFs:Postgres" section: the database behind MetadataStore = "Postgres" (several servers may
/// share it). The connection string holds a password: it is a secret, never logged or shown.
/// </summary>
public sealed class PostgresOptions
{
    /// <summary>Npgsql connection string, e.g. "Host=db;Database=dittofs;Username=dittofs;Password=…" (or DITTOFS__POSTGRES__CONNECTIONSTRING).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>A file holding the connection string (a Docker/Kubernetes secret); used when ConnectionString is empty.</summary>
    public string ConnectionStringFile { get; set; } = "";

    /// <summary>
    /// How long a lock or share grant may wait for the database (several servers: locks are checked there); past
    /// it NFSv4 answers NFS4ERR_DELAY and NLM NLM4_DENIED_NOLOCKS, both retried by clients.
    /// </summary>
    public int LockTimeoutSeconds { get; set; } = 5;

    /// <summary>ConnectionString, else ConnectionStringFile's content (trimmed), else empty.</summary>
    public string ResolveConnectionString() =>
        !string.IsNullOrWhiteSpace(ConnectionString) ? ConnectionString.Trim()
        : string.IsNullOrWhiteSpace(ConnectionStringFile) ? "" : File.ReadAllText(ConnectionStringFile).Trim();
}
