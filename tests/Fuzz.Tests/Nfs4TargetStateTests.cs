using DittoFs.Server.Protocol.Nfs4;
using Xunit;

namespace DittoFs.Fuzz.Tests;

/// <summary>
/// The NFSv4 targets' state: nfs4-ops reaches the state machine (its operations run, and a stateid handed out
/// in one COMPOUND serves in the next), and neither target keeps a server, or its data directory, from one
/// input to the next (a kept one grew until an input outran AFL's timeout, see tests/Fuzz/README.md).
/// </summary>
[Collection(FuzzPaths.InProcessTargets)]
public sealed class Nfs4TargetStateTests
{
    private static byte Selector(Nfs4Op op) => (byte)Array.FindIndex(Nfs4OpsGrammar.Ops, x => x.Op == op);

    [Fact]
    public void OperationsWithTheirCommonArgumentsSucceed()
    {
        using var host = new Nfs4Host();
        var grammar = new Nfs4OpsGrammar(host, new Choices([]));
        // Every argument at its choice 0: OPEN creates "f0" (mode 0644) by name under the export, WRITE 4 KiB with the current stateid.
        CompoundOutcome outcome = grammar.RunCompound([Selector(Nfs4Op.PutFh), Selector(Nfs4Op.Open), Selector(Nfs4Op.Write), Selector(Nfs4Op.GetFh), Selector(Nfs4Op.Close)]);
        Assert.True(outcome.Status == 0, outcome.Summary);
        Assert.Equal(6, outcome.ResultsRead); // SEQUENCE + the five
    }

    [Fact]
    public void AStateidHandedOutEarlierServesInALaterCompound()
    {
        using var host = new Nfs4Host();
        // COMPOUND 1 (16 choices, all 0): SEQUENCE, PUTFH root, OPEN create "f0", GETFH.
        // COMPOUND 2: SEQUENCE (0, 0), PUTFH the handle GETFH returned (1, 0), READ with the stateid OPEN returned (1), offset 0 (0, 0), 4 KiB (0, 0).
        byte[] args = [.. new byte[16], 0, 0, 1, 0, 1, 0, 0, 0, 0];
        var grammar = new Nfs4OpsGrammar(host, new Choices(args));
        CompoundOutcome open = grammar.RunCompound([Selector(Nfs4Op.PutFh), Selector(Nfs4Op.Open), Selector(Nfs4Op.GetFh)]);
        Assert.True(open.Status == 0, open.Summary);
        CompoundOutcome read = grammar.RunCompound([Selector(Nfs4Op.PutFh), Selector(Nfs4Op.Read)]);
        Assert.True(read.Status == 0, read.Summary);
        Assert.Equal(3, read.ResultsRead);
    }

    [Fact]
    public void DestroyingTheSessionStartsANewOne()
    {
        using var host = new Nfs4Host();
        byte[] before = host.SessionId;
        var grammar = new Nfs4OpsGrammar(host, new Choices([]));
        Assert.Equal(0u, grammar.RunCompound([Selector(Nfs4Op.DestroySession)]).Status);
        Assert.NotEqual(before, host.SessionId);
        CompoundOutcome after = grammar.RunCompound([Selector(Nfs4Op.PutRootFh), Selector(Nfs4Op.GetAttr)]);
        Assert.True(after.Status == 0, after.Summary);
    }

    [Theory]
    [InlineData("nfs4-compound")]
    [InlineData("nfs4-ops")]
    public void NoServerOutlivesItsInput(string name)
    {
        FuzzTarget target = Targets.Create(name);
        string corpus = Path.Combine(FuzzPaths.RepoRoot, "tests", "Fuzz", "corpus", name);
        string prefix = "dittofs-fuzz-" + Environment.ProcessId + "-";
        foreach (string file in Replay.Files([corpus]))
        {
            target.RunChecked(File.ReadAllBytes(file));
            // Whatever the input made (clients, sessions, opens, files, the owners file) went with its server.
            foreach (string root in new[] { "/dev/shm", Path.GetTempPath() })
            {
                if (!Directory.Exists(root)) continue;
                string[] left = Directory.GetDirectories(root, prefix + "*");
                Assert.True(left.Length == 0, $"{Path.GetFileName(file)} left {string.Join(", ", left)}");
            }
        }
    }
}
