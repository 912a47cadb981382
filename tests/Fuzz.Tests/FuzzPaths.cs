using System.Reflection;

namespace DittoFs.Fuzz.Tests;

internal static class FuzzPaths
{
    /// <summary>The classes that run targets in this process, one at a time (a test looks for servers left behind).</summary>
    public const string InProcessTargets = "in-process fuzz targets";

    public static string RepoRoot { get; } = FindRoot();

    /// <summary>tests/Fuzz/bin/&lt;Configuration&gt;/net10.0/: the harness as built for this test run.</summary>
    public static string FuzzBin => typeof(FuzzPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FuzzBin").Value!;

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DittoFs.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DittoFs.sln not found above " + AppContext.BaseDirectory);
    }
}
