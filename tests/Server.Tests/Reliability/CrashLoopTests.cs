using System.Diagnostics;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// kill -9 at random moments while a client writes: after every restart on the same data, every byte
/// whose durability the server promised (COMMIT reply, or a WRITE reply saying DATA_SYNC/FILE_SYNC) reads
/// back exactly, sizes cover it, every file whose CREATE was answered exists under the same handle, and
/// removed names stay removed, created directories exist, the write verifier changed (so a real client would resend its uncommitted writes).
/// </summary>
[Trait("Category", "Reliability")]
public sealed class CrashLoopTests(ITestOutputHelper output)
{
    private const int Rounds = 20;

    [Fact]
    public void CommittedDataSurvivesKill9()
    {
        var total = Stopwatch.StartNew();
        var random = new Random(8);
        using var server = new ServerProcess();
        server.Start();
        var log = new DurableWriteLog();
        var verifiers = new List<ulong>();
        int durableWrites = 0, ackedWrites = 0, commits = 0;

        for (int round = 0; round < Rounds; round++)
        {
            int killAfterMs = random.Next(100, 1000);
            DurableWriteLog.Round r = log.RunUntilKilled(server.NfsPort, round, random.Next(), killAfterMs, server.Kill);
            server.Start();
            if (r.Verifier is { } v)
            {
                Assert.DoesNotContain(v, verifiers);
                verifiers.Add(v);
            }
            int verified = log.Verify(server.NfsPort);
            durableWrites += r.Durable;
            ackedWrites += r.Acked;
            commits += r.Commits;
            output.WriteLine($"round {round}: kill after {killAfterMs} ms, {r.Acked} writes acked ({r.Durable} stable), {r.Commits} commits; " +
                $"verified {verified} durable writes in {log.FileCount} files");
        }
        output.WriteLine($"{Rounds} rounds in {total.Elapsed.TotalSeconds:F1} s: {ackedWrites} writes acked, {durableWrites} stable replies, {commits} commits");
    }
}
