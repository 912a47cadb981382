namespace DittoFs.Storage.Metadata.Postgres;

/// <summary>Settings of <see cref="PostgresMetadataStore"/>.</summary>
public sealed class PostgresMetadataStoreOptions
{
    /// <summary>Npgsql connection string (a secret: never logged).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Inode numbers taken from the database sequence at a time (one round trip per lease).</summary>
    public int InodeLeaseSize { get; init; } = 1024;

    /// <summary>Object versions per lease: the step of the database sequence (schema migration 3), fixed there.</summary>
    public const int VersionLeaseSize = 1024;

    /// <summary>Mutations of one server in flight at once (each holds a pooled connection for its round trip).</summary>
    public int MaxConcurrentMutations { get; init; } = 32;

    /// <summary>Retries of a batch that failed on a serialization failure (40001) or a deadlock (40P01).</summary>
    public int MaxSerializationRetries { get; init; } = 32;
}
