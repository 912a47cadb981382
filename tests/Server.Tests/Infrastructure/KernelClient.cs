using System.Diagnostics;
using System.Text;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// Runs a script in the real Linux kernel NFS client (../shared/tools/linux-nfs-client/run,
/// QEMU) against a server on this host's loopback.
/// </summary>
public static class KernelClient
{
    public static string RepositoryRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "DittoFs.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("DittoFs.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A file of tests/e2e (guest scripts, C helpers).</summary>
    public static string E2e(string name) => Path.Combine(RepositoryRoot, "tests", "e2e", name);

    /// <summary>The harness's own smoke script (examples/smoke.sh: "smoke: 15 passed, 0 failed").</summary>
    public static string Smoke(string harness) => Path.Combine(Path.GetDirectoryName(harness)!, "examples", "smoke.sh");

    /// <summary>
    /// A C helper of tests/e2e (busybox in the guest lacks fcntl locks, SEEK_HOLE, xattr calls) built with the host's gcc.
    /// Dynamic, because the harness copies a --bin's libraries with ldd, which fails on a static binary; and never under
    /// /tmp, a tmpfs in the guest that would hide it (a checkout under /tmp puts AppContext.BaseDirectory there).
    /// The guest finds it at the same path.
    /// </summary>
    public static string BuildGuestTool(string name)
    {
        string outputPath = Path.Combine(GuestToolDirectory(), name);
        // Built again when its source changed (a new subcommand), not only when missing.
        if (File.Exists(outputPath) && File.GetLastWriteTimeUtc(outputPath) >= File.GetLastWriteTimeUtc(E2e(name + ".c"))) return outputPath;
        var psi = new System.Diagnostics.ProcessStartInfo("gcc", ["-O2", "-o", outputPath, E2e(name + ".c")]) { RedirectStandardError = true };
        using var gcc = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException($"gcc not found: needed to build tests/e2e/{name}.c");
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0) throw new InvalidOperationException($"gcc failed on {name}.c: " + errors);
        return outputPath;
    }

    private static string GuestToolDirectory()
    {
        string directory = AppContext.BaseDirectory.StartsWith("/tmp/", StringComparison.Ordinal)
            ? Path.Combine("/var/tmp", "dittofs-tests-" + Environment.UserName)
            : AppContext.BaseDirectory;
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A host executable copied next to the guest tools under another name (so it shadows nothing in the guest), for --bin.</summary>
    public static string GuestCopyOf(string executable, string name)
    {
        string path = Path.Combine(GuestToolDirectory(), name);
        // Copied once: a new mtime would make the harness build its extra initramfs layer again.
        if (!File.Exists(path) || new FileInfo(path).Length != new FileInfo(executable).Length) File.Copy(executable, path, overwrite: true);
        return path;
    }

    /// <summary>The harness, or null when this machine has none (NFSH_RUN overrides the path).</summary>
    public static string? Harness
    {
        get
        {
            string path = Environment.GetEnvironmentVariable("NFSH_RUN")
                ?? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "tools", "linux-nfs-client", "run"));
            return File.Exists(path) ? path : null;
        }
    }

    /// <summary>In CI a missing harness fails the test; elsewhere the test is a no-op with a message.</summary>
    public static string? RequireHarness()
    {
        string? harness = Harness;
        if (harness is null && Environment.GetEnvironmentVariable("CI") == "true")
        {
            throw new InvalidOperationException("CI=true but the linux-nfs-client harness is missing (../shared/tools/linux-nfs-client/run)");
        }
        return harness;
    }

    public sealed record Result(int ExitCode, string Output);

    /// <summary>
    /// Runs <paramref name="script"/> in the guest. <paramref name="onLine"/> sees each stdout line as it arrives
    /// (e.g. to kill the server at a marker).
    /// </summary>
    public static Result Run(string harness, ServerProcess server, string vers, string script, IEnumerable<string>? extraArgs = null,
        Action<string>? onLine = null, int timeoutSeconds = 900)
    {
        var psi = new ProcessStartInfo(harness)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add(server.NfsPort.ToString());
        if (vers == "3")
        {
            psi.ArgumentList.Add("--mount-port");
            psi.ArgumentList.Add(server.MountPort.ToString());
        }
        psi.ArgumentList.Add("--vers");
        psi.ArgumentList.Add(vers);
        psi.ArgumentList.Add("--export");
        psi.ArgumentList.Add("/export");
        psi.ArgumentList.Add("--timeout");
        psi.ArgumentList.Add(timeoutSeconds.ToString());
        foreach (string a in extraArgs ?? []) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(script);

        var output = new StringBuilder();
        using var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine("[stderr] " + e.Data); };
        process.BeginErrorReadLine();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            lock (output) output.AppendLine(line);
            onLine?.Invoke(line);
        }
        if (!process.WaitForExit((timeoutSeconds + 60) * 1000)) process.Kill(true);
        process.WaitForExit();
        lock (output) return new Result(process.ExitCode, output.ToString());
    }
}
