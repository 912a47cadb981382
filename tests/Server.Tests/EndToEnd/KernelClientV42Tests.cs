using System.Diagnostics;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>The Linux kernel NFSv4.2 client, in QEMU, against the real server process: sparse files and extended attributes.</summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientV42Tests(ITestOutputHelper output)
{
    private static string E2e(string name) => Path.Combine(KernelClient.RepositoryRoot, "tests", "e2e", name);

    /// <summary>One guest: fallocate, punch hole, SEEK_DATA/SEEK_HOLE on a truncate-made sparse file, READ_PLUS reads, xattrs.</summary>
    [KernelClientFact]
    public void SparseFilesAndExtendedAttributes()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string tool = BuildSparseTool();
        using var server = new ServerProcess();
        server.Start();
        KernelClient.Result result = KernelClient.Run(harness, server, "4.2", E2e("v42-sparse.sh"), ["--bin", tool, "--env", "SPARSETOOL=" + tool]);
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("v42: 5 passed, 0 failed", result.Output);
        // The client used the 4.2 operations, not a fallback: SEEK and the xattr calls went over the wire.
        Assert.Matches(@"SEEK: [1-9]", result.Output);
        Assert.Matches(@"SETXATTR: [1-9]", result.Output);
        Assert.Equal(0, result.ExitCode);
    }

    /// <summary>
    /// tests/e2e/sparsetool.c (lseek SEEK_DATA/SEEK_HOLE, punch, xattr calls: busybox has none) built with the host's
    /// gcc, where the guest can see it (not under /tmp: a tmpfs in the guest), as KernelClientV41Tests builds plock.
    /// </summary>
    private static string BuildSparseTool()
    {
        string directory = AppContext.BaseDirectory.StartsWith("/tmp/", StringComparison.Ordinal)
            ? Path.Combine("/var/tmp", "dittofs-tests-" + Environment.UserName)
            : AppContext.BaseDirectory;
        Directory.CreateDirectory(directory);
        string outputPath = Path.Combine(directory, "sparsetool");
        if (File.Exists(outputPath)) return outputPath;
        var psi = new ProcessStartInfo("gcc", ["-O2", "-o", outputPath, E2e("sparsetool.c")]) { RedirectStandardError = true };
        using Process gcc = Process.Start(psi) ?? throw new InvalidOperationException("gcc not found: needed to build tests/e2e/sparsetool.c");
        string errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0) throw new InvalidOperationException("gcc failed on sparsetool.c: " + errors);
        return outputPath;
    }
}
