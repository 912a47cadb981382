using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>The model is equatable, so edits that do not touch an XDR type reuse the cached output.</summary>
public class IncrementalTests
{
    private const string Source = """
        using DittoFs.Xdr;
        namespace Sample;
        [XdrType] public partial struct Point { public int X; public int Y; }
        [XdrUnion(DefaultIsVoid = true)] public partial struct Maybe { [XdrDiscriminant] public bool Has; [XdrCase(true)] public Point Value; }
        """;

    [Fact]
    public void UnrelatedEdit_IsCached()
    {
        GeneratorRunResult second = RunTwice(c => c.AddSyntaxTrees(Parse("namespace Other; public class Unrelated { public int Z; }")));

        AssertReasons(second, XdrGenerator.TypeModelStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(second, XdrGenerator.UnionModelStep, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.All(
            second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void EditOfTheType_IsModified()
    {
        GeneratorRunResult second = RunTwice(c =>
        {
            SyntaxTree old = c.SyntaxTrees.Single();
            return c.ReplaceSyntaxTree(old, Parse(Source.Replace("public int Y;", "public long Y;")));
        });

        Assert.Contains(
            second.TrackedSteps[XdrGenerator.TypeModelStep].SelectMany(s => s.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
    }

    private static GeneratorRunResult RunTwice(Func<CSharpCompilation, CSharpCompilation> edit)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Source);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);

        driver = driver.RunGenerators(edit(compilation));
        return driver.GetRunResult().Results.Single();
    }

    private static void AssertReasons(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        IncrementalGeneratorRunStep[] steps = result.TrackedSteps[step].ToArray();
        Assert.NotEmpty(steps);
        Assert.All(steps.SelectMany(s => s.Outputs), output => Assert.Contains(output.Reason, allowed));
    }

    private static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path: "Edited.cs");
}
