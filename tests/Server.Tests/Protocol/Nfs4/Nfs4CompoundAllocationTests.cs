using DittoFs.Perf;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>
/// A steady-state SEQUENCE+PUTFH+GETATTR, +READ 4 KiB and +WRITE 4 KiB COMPOUND allocates nothing
/// through the whole in-process path (RPC header parse, the pooled call object, COMPOUND dispatch,
/// the in-memory stores, the reply): GC.GetAllocatedBytesForCurrentThread around 50 warm calls of each,
/// made by the BenchmarkDotNet benchmark itself (perf/Benchmarks), so the table and the test measure one thing.
/// Before the call object was pooled every call cost 152 B, and a WRITE 264 B more (its metadata batch).
/// </summary>
public sealed class Nfs4CompoundAllocationTests(ITestOutputHelper output)
{
    [OptimizedBuildFact]
    public void SteadyStateGetAttrReadWriteCompoundsAllocateNothing()
    {
        var bench = new Nfs4CompoundBenchmarks();
        bench.Setup(); // throws unless every reply is OK
        try
        {
            (string Name, Func<int> Call, int Expected)[] compounds =
                [("GETATTR", bench.GetAttr, 4), ("READ", bench.Read4K, 4096), ("WRITE", bench.Write4K, 4096)];
            const int Rounds = 50;
            long[] bytes = new long[compounds.Length];
            for (int round = 0; round < 10 + Rounds; round++)
            {
                for (int i = 0; i < compounds.Length; i++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    int result = compounds[i].Call();
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.Equal(compounds[i].Expected, result);
                    if (round >= 10) bytes[i] += allocated;
                }
            }
            output.WriteLine("per COMPOUND: " + string.Join(", ", compounds.Select((c, i) => $"{c.Name} {bytes[i] / (double)Rounds:F1} B")));
            for (int i = 0; i < compounds.Length; i++) Assert.True(bytes[i] == 0, $"{compounds[i].Name}: {bytes[i] / (double)Rounds:F1} B per COMPOUND");
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
