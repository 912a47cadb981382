using DittoFs.Fuzz;
using Xunit;

namespace DittoFs.Fuzz.Tests;

/// <summary>
/// Every saved input (tests/Fuzz/regressions/&lt;target&gt;/, what AFL found, and the seed corpus) runs through
/// its target in-process, without AFL: only the documented decode failures may be thrown, nothing may
/// allocate past the target's bound, and each input must finish within the timeout.
/// </summary>
[Collection(FuzzPaths.InProcessTargets)]
public sealed class RegressionReplayTests
{
    public static TheoryData<string> TargetNames() => new(Targets.Names);

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void SavedInputsDecodeCleanly(string name)
    {
        FuzzTarget target = Targets.Create(name);
        string fuzz = Path.Combine(FuzzPaths.RepoRoot, "tests", "Fuzz");
        string[] files = Replay.Files([Path.Combine(fuzz, "corpus", name), Path.Combine(fuzz, "regressions", name)]).ToArray();
        Assert.NotEmpty(files);
        var failures = new List<string>();
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            string? finding = Replay.RunOne(target, input, TimeSpan.FromSeconds(10));
            if (finding is not null)
            {
                failures.Add($"{Path.GetRelativePath(FuzzPaths.RepoRoot, file)} (base64 {Convert.ToBase64String(input)}):\n{finding}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }
}
