using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.EndToEnd;

/// <summary>The Linux kernel NFSv4.2 client, in QEMU, against the real server process: sparse files and extended attributes.</summary>
[Collection(KernelClientCollection.Name)]
public sealed class KernelClientV42Tests(ITestOutputHelper output)
{
    private static string E2e(string name) => KernelClient.E2e(name);

    /// <summary>One guest: fallocate, punch hole, SEEK_DATA/SEEK_HOLE on a truncate-made sparse file, READ_PLUS reads, xattrs, du after punch and truncate.</summary>
    [KernelClientFact]
    public void SparseFilesAndExtendedAttributes()
    {
        string harness = KernelClient.RequireHarness()!; // [KernelClientFact] skipped the test where it is missing
        string tool = KernelClient.BuildGuestTool("sparsetool");
        using var server = new ServerProcess();
        server.Start();
        KernelClient.Result result = KernelClient.Run(harness, server, "4.2", E2e("v42-sparse.sh"), ["--bin", tool, "--env", "SPARSETOOL=" + tool]);
        output.WriteLine(result.Output);
        Assert.DoesNotContain("FAIL", result.Output);
        Assert.Contains("v42: 6 passed, 0 failed", result.Output);
        // The client used the 4.2 operations, not a fallback: SEEK and the xattr calls went over the wire.
        Assert.Matches(@"SEEK: [1-9]", result.Output);
        Assert.Matches(@"SETXATTR: [1-9]", result.Output);
        Assert.Equal(0, result.ExitCode);
    }
}
