using Xunit;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// Facts that need a tool this machine may not have. Without it the test is reported as skipped with
/// the reason (not a pass that tested nothing); under CI=true it runs anyway and fails on the missing
/// tool, and .ci/run fails on any skip not in .ci/allowed-skips.
/// </summary>
public sealed class KernelClientFactAttribute : FactAttribute
{
    public KernelClientFactAttribute()
    {
        if (KernelClient.Harness is null && !RequiredTools.UnderCi)
        {
            Skip = "the linux-nfs-client harness is missing (../shared/tools/linux-nfs-client/run or NFSH_RUN)";
        }
    }
}

/// <summary>A fact that mounts a size-limited tmpfs (root or CAP_SYS_ADMIN).</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!RequiredTools.UnderCi && TmpfsMount.Unavailable is { } reason) Skip = reason;
    }
}

internal static class RequiredTools
{
    public static bool UnderCi => Environment.GetEnvironmentVariable("CI") == "true";
}
