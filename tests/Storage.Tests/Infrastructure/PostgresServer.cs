using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;
using Xunit;

namespace DittoFs.Storage.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for tests: <c>initdb</c> + <c>pg_ctl</c> (Debian's <c>postgresql</c> package;
/// .ci/run installs it) in a temporary directory on a free loopback port, started once per test
/// process and stopped when it exits. Each user takes a fresh database (<see cref="CreateDatabase"/>).
/// As root (CI, this machine) the server runs as the <c>postgres</c> user: PostgreSQL refuses root.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly Lazy<PostgresServer> SharedServer = new(() => new PostgresServer());
    private readonly string _directory;
    private readonly string _bin;
    private int _databases;

    private PostgresServer()
    {
        _bin = BinDirectory ?? throw new InvalidOperationException(MissingReason);
        _directory = Path.Combine(Path.GetTempPath(), "dittofs-pg", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        // initdb (as the postgres user) makes the data directory itself, inside this one.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_directory, (UnixFileMode)0x1FF);
        Port = FreePort();
        string data = Path.Combine(_directory, "data");
        Run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C");
        // fsync off: these are correctness tests of the SQL, not of the disk; max_connections covers
        // every pooled connection of the test classes running side by side.
        Run("pg_ctl", "-D", data, "-l", Path.Combine(_directory, "log"), "-w", "-t", "120", "-o",
            $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=400", "start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    /// <summary>The server of this test process, started on first use.</summary>
    public static PostgresServer Shared => SharedServer.Value;

    public int Port { get; }

    /// <summary>Why PostgreSQL tests cannot run here (null: they can).</summary>
    public static string? Unavailable => BinDirectory is null ? MissingReason : null;

    private const string MissingReason = "PostgreSQL binaries (initdb, pg_ctl) not found: install Debian's postgresql package or set PG_BIN";

    /// <summary>PG_BIN, else initdb on PATH, else the newest /usr/lib/postgresql/N/bin (where Debian puts it).</summary>
    public static string? BinDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } bin) return bin;
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
            }
            const string debian = "/usr/lib/postgresql";
            if (!Directory.Exists(debian)) return null;
            return Directory.GetDirectories(debian)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out int v) ? v : 0)
                .FirstOrDefault();
        }
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public string CreateDatabase(int maxPoolSize = 8)
    {
        string name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..24];
        using (var admin = new NpgsqlConnection(ConnectionString("postgres", 1)))
        {
            admin.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            create.ExecuteNonQuery();
        }
        return ConnectionString(name, maxPoolSize);
    }

    public string ConnectionString(string database, int maxPoolSize) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            MaxPoolSize = maxPoolSize,
            Pooling = true,
            Timeout = 60,
            CommandTimeout = 120,
        }.ConnectionString;

    public void Dispose()
    {
        try
        {
            Run("pg_ctl", "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop");
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Already stopped, or a file still held: best effort.
        }
    }

    private void Run(string tool, params string[] args)
    {
        bool root = geteuid() == 0;
        var psi = new ProcessStartInfo(root ? "runuser" : Path.Combine(_bin, tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (root)
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(RunAsUser());
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(Path.Combine(_bin, tool));
        }
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {tool}");
        // pg_ctl start leaves the server holding the output pipes: read them without waiting for their end.
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) throw new InvalidOperationException($"{tool} did not finish");
        if (process.ExitCode != 0)
        {
            string log = Path.Combine(_directory, "log");
            throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {(stderr.Wait(1000) ? stderr.Result : "")} {(File.Exists(log) ? File.ReadAllText(log) : "")}");
        }
    }

    private static string RunAsUser()
    {
        foreach (string line in File.ReadLines("/etc/passwd"))
        {
            if (line.StartsWith("postgres:", StringComparison.Ordinal)) return "postgres";
        }
        return "nobody";
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}

/// <summary>
/// A fact that needs PostgreSQL: skipped, with the reason, where its binaries are missing, but never
/// under CI=true (there .ci/run installs them, and a missing one must fail).
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") != "true" && PostgresServer.Unavailable is { } reason) Skip = reason;
    }
}
