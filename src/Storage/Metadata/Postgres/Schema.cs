using Npgsql;

namespace DittoFs.Storage.Metadata.Postgres;

/// <summary>
/// The tables, created and migrated at start. <c>schema_version</c> holds the last migration applied;
/// each migration runs in the transaction that bumps it, under a row lock on that version row, so
/// servers starting together apply each one once. Plain SQL that PostgreSQL-compatible distributed
/// engines also take (no advisory locks, no server-side functions).
///
/// Values the filesystem treats as opaque stay opaque: an inode is its <see cref="InodeRecord"/> bytes
/// (with change_id beside it for preconditions), a block record the bytes FASTER keeps (BlockValue),
/// so record changes made for the embedded store need no schema change here.
/// </summary>
internal static class Schema
{
    private static readonly string[] Migrations =
    [
        // 1: the namespace, the block map, the filesystem id.
        """
        CREATE TABLE inodes (inode bigint PRIMARY KEY, change_id bigint NOT NULL, record bytea NOT NULL);
        CREATE TABLE entries (dir bigint NOT NULL, name bytea NOT NULL, cookie bigint NOT NULL, inode bigint NOT NULL, PRIMARY KEY (dir, name));
        CREATE UNIQUE INDEX entries_by_cookie ON entries (dir, cookie);
        CREATE TABLE symlinks (inode bigint PRIMARY KEY, target bytea NOT NULL);
        CREATE TABLE volumes (name bytea PRIMARY KEY, volume bigint NOT NULL, root bigint NOT NULL);
        CREATE TABLE blocks (inode bigint NOT NULL, block bigint NOT NULL, version bigint NOT NULL, record bytea NOT NULL, PRIMARY KEY (inode, block));
        CREATE TABLE meta (key text PRIMARY KEY, num bigint, data bytea);
        INSERT INTO meta (key, num) VALUES ('max_block_version', 0);
        CREATE SEQUENCE inode_lease START WITH 1024 INCREMENT BY 1024 MINVALUE 1024;
        """,
        // 2: segment objects (small blocks packed together) and their live bytes.
        """
        CREATE TABLE segments (segment bigint PRIMARY KEY, live bigint NOT NULL, total bigint NOT NULL, object_bytes bigint NOT NULL);
        """,
        // 3: object versions and segment ids leased off a sequence (two servers never name the same object),
        // starting above every id a server numbered itself before (from its clock: ticks).
        """
        CREATE SEQUENCE block_version_lease START WITH 1024 INCREMENT BY 1024 MINVALUE 1024;
        SELECT setval('block_version_lease', (GREATEST((SELECT num FROM meta WHERE key = 'max_block_version'),
            (SELECT max(version) FROM blocks), (SELECT max(segment) FROM segments), 0) / 1024 + 1) * 1024, false);
        """,
        // 4: a directory's entry count, link count and mtime as deltas beside its image (AddToDirectory), so
        // creators of one directory do not serialise on its image; a read adds them, a whole write resets them.
        """
        ALTER TABLE inodes ADD COLUMN entry_delta bigint NOT NULL DEFAULT 0, ADD COLUMN link_delta bigint NOT NULL DEFAULT 0,
            ADD COLUMN touched bigint NOT NULL DEFAULT 0;
        """,
        // 5: extended attributes (RFC 8276), all of an inode's in one value (Xattrs' encoding).
        """
        CREATE TABLE xattrs (inode bigint PRIMARY KEY, data bytea NOT NULL);
        """,
        // 6: NFSv4/NLM state several servers honour (PostgresSharedLocks): each server's lease, and the byte-range
        // locks and share reservations it granted, keyed by file first (conflict checks read one file's rows).
        // Ranges are unsigned 64-bit offsets stored with the sign bit flipped, so bigint order is offset order.
        """
        CREATE TABLE servers (id uuid PRIMARY KEY, expires timestamptz NOT NULL);
        CREATE TABLE range_locks (file bytea NOT NULL, server uuid NOT NULL, seq int NOT NULL, range_start bigint NOT NULL,
            range_end bigint NOT NULL, exclusive boolean NOT NULL, client bigint NOT NULL, owner bytea NOT NULL, PRIMARY KEY (file, server, seq));
        CREATE TABLE share_reservations (file bytea NOT NULL, server uuid NOT NULL, seq int NOT NULL, access int NOT NULL,
            deny int NOT NULL, client bigint NOT NULL, owner bytea NOT NULL, PRIMARY KEY (file, server, seq));
        CREATE INDEX range_locks_by_server ON range_locks (server);
        CREATE INDEX share_reservations_by_server ON share_reservations (server);
        """,
    ];

    public static int Version => Migrations.Length;

    public static async Task MigrateAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await using (var create = new NpgsqlBatch(connection)
                {
                    BatchCommands =
                    {
                        new("CREATE TABLE IF NOT EXISTS schema_version (id int PRIMARY KEY, version int NOT NULL)"),
                        new("INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"),
                    },
                })
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                break;
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
            {
                // Another server created it between our IF NOT EXISTS and our CREATE: it is there now.
            }
        }

        await using NpgsqlTransaction tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int version;
        await using (var read = new NpgsqlCommand("SELECT version FROM schema_version WHERE id = 1 FOR UPDATE", connection, tx))
        {
            version = (int)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        if (version > Migrations.Length)
        {
            throw new InvalidOperationException($"The metadata database has schema version {version}, newer than this server's {Migrations.Length}: upgrade the server.");
        }
        for (int v = version; v < Migrations.Length; v++)
        {
            await using var migrate = new NpgsqlCommand(Migrations[v], connection, tx);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var bump = new NpgsqlCommand("UPDATE schema_version SET version = $1 WHERE id = 1", connection, tx))
        {
            bump.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Migrations.Length });
            await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
