using Microsoft.CodeAnalysis;
using Xunit;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>Each bad declaration gets its DFXDR error at the right place, and no code.</summary>
public class DiagnosticTests
{
    private const string Usings = "using System; using System.Buffers; using System.Collections.Generic; using DittoFs.Xdr;\n";

    public static TheoryData<string, string> BadSources => new()
    {
        { "DFXDR001", "[XdrType] public struct S { public int A; }" },
        { "DFXDR001", "public class Outer { [XdrType] public partial struct S { public int A; } }" },
        { "DFXDR002", "[XdrType] public partial struct S { public byte A; }" },
        { "DFXDR002", "[XdrType] public partial struct S { public short A; }" },
        { "DFXDR002", "[XdrType] public partial struct S { public decimal A; }" },
        { "DFXDR002", "[XdrType] public partial class S { public List<int> A = new(); }" },
        { "DFXDR002", "[XdrType] public partial class S { public int[][] A = []; }" },
        { "DFXDR002", "public enum E : long { A } [XdrType] public partial struct S { public E A; }" },
        { "DFXDR002", "public struct Plain { } [XdrType] public partial struct S { public Plain A; }" },
        { "DFXDR003", "[XdrUnion] public partial struct U { [XdrCase(1)] public int A; }" },
        { "DFXDR004", "[XdrUnion] public partial struct U { [XdrDiscriminant] public int D; [XdrDiscriminant] public int E; }" },
        { "DFXDR005", "[XdrUnion] public partial struct U { [XdrDiscriminant] public int D; public int A; }" },
        { "DFXDR006", "[XdrUnion] public partial struct U { [XdrDiscriminant] public int D; [XdrCase(1)] public int A; [XdrCase(2, 1)] public int B; }" },
        { "DFXDR006", "[XdrUnion, XdrVoidCase(1)] public partial struct U { [XdrDiscriminant] public int D; [XdrCase(1)] public int A; }" },
        { "DFXDR007", "[XdrUnion] public partial struct U { [XdrDiscriminant] public int D; [XdrDefault] public int A; [XdrDefault] public int B; }" },
        { "DFXDR008", "[XdrUnion] public partial struct U { [XdrDiscriminant] public long D; [XdrCase(1)] public int A; }" },
        { "DFXDR008", "[XdrUnion] public partial struct U { [XdrDiscriminant] public string D; [XdrCase(1)] public int A; }" },
        { "DFXDR009", "[XdrType] public partial struct S { [XdrFixedLength(4)] public int A; }" },
        { "DFXDR009", "[XdrType] public partial struct S { [XdrMaxLength(4)] public uint A; }" },
        { "DFXDR009", "[XdrType] public partial struct S { [XdrFixedLength(4)] public string A; }" },
        { "DFXDR009", "[XdrType] public partial struct S { [XdrMaxLength(-1)] public string A; }" },
        { "DFXDR009", "[XdrType] public partial struct S { [XdrFixedLength(-4)] public byte[] A; }" },
        { "DFXDR009", "[XdrType] public partial struct S { [XdrFixedLength(4), XdrMaxLength(4)] public byte[] A; }" },
        { "DFXDR010", "[XdrType] public partial class C { public C(int a) { A = a; } public int A; }" },
        { "DFXDR010", "[XdrType] public abstract partial class C { public int A; }" },
        { "DFXDR011", "[XdrType] public partial struct S { public readonly int A; }" },
        { "DFXDR011", "[XdrType] public partial class C { public int A { get; init; } }" },
        { "DFXDR012", "[XdrType] public partial struct S { [XdrCase(1)] public int A; }" },
        { "DFXDR012", "[XdrType, XdrVoidCase(1)] public partial struct S { public int A; }" },
        { "DFXDR012", "[XdrType, XdrUnion] public partial struct U { [XdrDiscriminant] public int D; }" },
        { "DFXDR013", "[XdrUnion] public partial struct U { [XdrDiscriminant] public uint D; [XdrCase(-1)] public int A; }" },
        { "DFXDR013", "[XdrUnion] public partial struct U { [XdrDiscriminant] public int D; [XdrCase(\"x\")] public int A; }" },
        { "DFXDR013", "public enum E1 { A } public enum E2 { B } [XdrUnion] public partial struct U { [XdrDiscriminant] public E1 D; [XdrCase(E2.B)] public int A; }" },
        { "DFXDR013", "[XdrUnion] public partial struct U { [XdrDiscriminant] public bool D; [XdrCase(2)] public int A; }" },
        { "DFXDR014", "[XdrType] public partial struct S<T> { public int A; }" },
        // Recursion other than a last "T? Next" link: the input would choose the stack depth.
        { "DFXDR015", "[XdrType] public partial class C { public C? Next; public int A; }" },
        { "DFXDR015", "[XdrType] public partial class C { public int A; public C[] Kids = []; }" },
        { "DFXDR015", "[XdrType] public partial class C { public int A; public C Child = null!; }" },
        { "DFXDR015", "[XdrUnion] public partial class U { [XdrDiscriminant] public int D; [XdrCase(1)] public U? Next; }" },
    };

    [Theory]
    [MemberData(nameof(BadSources))]
    public void BadDeclaration_ReportsError(string id, string source)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Usings + source);

        Diagnostic diagnostic = Assert.Single(result.GeneratorDiagnostics, d => d.Id.StartsWith("DFXDR", StringComparison.Ordinal));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(1, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void MutualRecursion_ReportedOnBothTypes()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Usings + "[XdrType] public partial class C { public D? Other; }\n[XdrType] public partial class D { public int A; public C? Back; }");
        Assert.Equal(["DFXDR015", "DFXDR015"], result.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Contains(result.GeneratorDiagnostics, d => d.GetMessage().Contains("'Other'", StringComparison.Ordinal));
        Assert.Contains(result.GeneratorDiagnostics, d => d.GetMessage().Contains("'Back'", StringComparison.Ordinal));
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void UnsupportedMember_NamesMemberAndType()
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(Usings + "[XdrType] public partial struct S {\n public int Ok;\n public byte Tiny; }");
        Diagnostic diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Contains("'Tiny'", diagnostic.GetMessage());
        Assert.Contains("'byte'", diagnostic.GetMessage());
        Assert.Equal(3, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void NfsExample_GeneratesCodeThatCompiles()
    {
        string source = File.ReadAllText(Path.Combine(SourceDirectory(), "NfsTypes.cs"));
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileProblems);
        Assert.Equal(11, result.Sources.Count);
        Assert.Contains("DittoFs.Xdr.Generators.Tests.Nfs.GetAttr3Res.Xdr.g.cs", result.Sources.Keys);
    }

    [Fact]
    public void GlobalNamespaceAndNestedTypes_Compile()
    {
        const string source = Usings + """
            [XdrType] public partial class Root { public int A; public Root.Child[] Children = []; public Root? Next;
                [XdrType] public partial struct Child { public long B; } }
            namespace N1.N2 { public partial class Holder { public partial struct Mid { [XdrType] internal partial struct Leaf { public bool On; } } } }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileProblems);
        Assert.Equal(["N1.N2.Holder.Mid.Leaf.Xdr.g.cs", "Root.Child.Xdr.g.cs", "Root.Xdr.g.cs"], result.Sources.Keys.Order());
    }

    [Fact]
    public void StructProperties_CompileWithoutDefensiveCopyWarnings()
    {
        const string source = Usings + """
            [XdrType] public partial struct Auto { public int A { get; set; } }
            [XdrType] public partial struct Manual { private int _b; public int B { get { _b++; return _b; } set => _b = value; } }
            [XdrType] public partial struct Outer { public Auto A; public Manual M; public Manual[] Ms; }
            """;
        GeneratorHarness.Result result = GeneratorHarness.Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileProblems);
        Assert.Contains("public readonly void Encode", result.Sources["Auto.Xdr.g.cs"]);
        Assert.Contains("public void Encode", result.Sources["Manual.Xdr.g.cs"]);
        Assert.Contains("public void Encode", result.Sources["Outer.Xdr.g.cs"]);
    }

    internal static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
