using DittoFs.Xdr.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DittoFs.Xdr.Generators
{
    /// <summary>
    /// Emits IXdrCodec Decode/Encode for partial types marked [XdrType] or [XdrUnion].
    /// Pipeline: attribute lookup -> parser builds an equatable <see cref="TypeModel"/>
    /// (no symbols or syntax, so unrelated edits hit the cache) -> emitter writes code from the model.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class XdrGenerator : IIncrementalGenerator
    {
        internal const string XdrTypeAttribute = "DittoFs.Xdr.XdrTypeAttribute";
        internal const string XdrUnionAttribute = "DittoFs.Xdr.XdrUnionAttribute";

        /// <summary>Tracking names of the model steps, for incremental-caching tests.</summary>
        public const string TypeModelStep = "XdrTypeModel";
        public const string UnionModelStep = "XdrUnionModel";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<TypeModel> types = context.SyntaxProvider
                .ForAttributeWithMetadataName(XdrTypeAttribute, IsTypeDeclaration, (ctx, ct) => Parser.Parse(ctx, isUnion: false, ct))
                .WithTrackingName(TypeModelStep)
                .Where(static model => model is not null)!;

            IncrementalValuesProvider<TypeModel> unions = context.SyntaxProvider
                .ForAttributeWithMetadataName(XdrUnionAttribute, IsTypeDeclaration, (ctx, ct) => Parser.Parse(ctx, isUnion: true, ct))
                .WithTrackingName(UnionModelStep)
                .Where(static model => model is not null)!;

            context.RegisterSourceOutput(types, Emit);
            context.RegisterSourceOutput(unions, Emit);
        }

        private static bool IsTypeDeclaration(SyntaxNode node, System.Threading.CancellationToken _) =>
            node is ClassDeclarationSyntax or StructDeclarationSyntax or RecordDeclarationSyntax;

        private static void Emit(SourceProductionContext context, TypeModel model)
        {
            foreach (DiagnosticInfo diagnostic in model.Diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (!model.CanEmit) return;
            context.AddSource(model.HintName, Emitter.Emit(model));
        }
    }
}
