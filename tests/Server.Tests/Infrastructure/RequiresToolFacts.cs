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

/// <summary><see cref="KernelClientFactAttribute"/> as a theory (one guest run per row, e.g. per NFS version).</summary>
public sealed class KernelClientTheoryAttribute : TheoryAttribute
{
    public KernelClientTheoryAttribute()
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

/// <summary>
/// A fact about allocations that only an optimized build of the server can show: a Debug build makes
/// every async state machine a class, one allocation per async call even when it completes at once.
/// </summary>
public sealed class OptimizedBuildFactAttribute : FactAttribute
{
    public OptimizedBuildFactAttribute()
    {
        if (typeof(DittoFs.Server.Rpc.RpcCall).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            is [System.Diagnostics.DebuggableAttribute { IsJITOptimizerDisabled: true }])
        {
            Skip = "a Debug build of the server allocates an object per async call; run with -c Release";
        }
    }
}

/// <summary>A kernel-client fact on PostgreSQL metadata: skipped (outside CI) where either is missing.</summary>
public sealed class KernelClientPostgresFactAttribute : FactAttribute
{
    public KernelClientPostgresFactAttribute()
    {
        if (RequiredTools.UnderCi) return;
        if (KernelClient.Harness is null) Skip = "the linux-nfs-client harness is missing (../shared/tools/linux-nfs-client/run or NFSH_RUN)";
        else if (DittoFs.Storage.Tests.Infrastructure.PostgresServer.Unavailable is { } reason) Skip = reason;
    }
}
