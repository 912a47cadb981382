using System.Collections.Immutable;
using DittoFs.Xdr;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>Runs <see cref="XdrGenerator"/> over source strings with CSharpGeneratorDriver.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "GeneratorTest",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new XdrGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Generator diagnostics, generated sources, and the errors and warnings of the compilation including them (warnings are errors in this repo).</summary>
    public static Result Run(params string[] sources)
    {
        CSharpCompilation compilation = Compile(sources);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        return new Result(
            diagnostics,
            run.Results.SelectMany(r => r.GeneratedSources).ToImmutableDictionary(s => s.HintName, s => s.SourceText.ToString()),
            output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray());
    }

    internal sealed record Result(
        ImmutableArray<Diagnostic> GeneratorDiagnostics,
        ImmutableDictionary<string, string> Sources,
        ImmutableArray<Diagnostic> CompileProblems);

    // The runtime's reference set (no Basic.Reference.Assemblies here), plus DittoFs.Xdr.
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var paths = new HashSet<string>(tpa.Split(Path.PathSeparator), StringComparer.OrdinalIgnoreCase)
        {
            typeof(XdrTypeAttribute).Assembly.Location,
        };
        // Not this test assembly: its own generated types would clash with the sources under test (CS0436).
        paths.Remove(typeof(GeneratorHarness).Assembly.Location);
        return paths.Where(p => p.Length > 0).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}
