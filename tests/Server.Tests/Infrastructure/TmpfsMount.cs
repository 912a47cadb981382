using System.Diagnostics;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// A size-limited tmpfs mounted on a directory (needs root or CAP_SYS_ADMIN), to fill a disk on purpose.
/// <see cref="TryMount"/> returns null with the reason where mounting is not permitted; under CI=true
/// that is a failure instead (CI runs as root).
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    private static readonly Lazy<string?> s_unavailable = new(Probe);

    /// <summary>Why no tmpfs can be mounted here (probed once with a 1 MiB mount), or null when it can.</summary>
    public static string? Unavailable => s_unavailable.Value;

    private static string? Probe()
    {
        string probe = Directory.CreateTempSubdirectory("dittofs-tmpfs-probe-").FullName;
        try
        {
            (int code, string output) = Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe);
            if (code != 0) return $"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): mount exited {code}: {output.Trim()}";
            Run("umount", probe);
            return null;
        }
        finally
        {
            try { Directory.Delete(probe); } catch (IOException) { }
        }
    }

    public static TmpfsMount? TryMount(string path, int megabytes, out string? reason)
    {
        Directory.CreateDirectory(path);
        (int code, string output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        if (code == 0)
        {
            reason = null;
            return new TmpfsMount(path);
        }
        reason = $"mount -t tmpfs on {path} failed ({code}): {output.Trim()}";
        if (Environment.GetEnvironmentVariable("CI") == "true") throw new InvalidOperationException("CI=true but " + reason);
        return null;
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        try
        {
            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    /// <summary>Grows (or shrinks) the filesystem in place: an administrator adding space.</summary>
    public void Resize(int megabytes)
    {
        (int code, string output) = Run("mount", "-o", $"remount,size={megabytes}m", Path);
        if (code != 0) throw new InvalidOperationException($"remount {Path}: {output}");
    }

    /// <summary>Unmounts (lazily if something still holds a file open).</summary>
    public void Dispose()
    {
        if (Run("umount", Path).Code != 0) Run("umount", "-l", Path);
    }
}
