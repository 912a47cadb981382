using System.Collections.Generic;
using System.Threading;
using DittoFs.Xdr.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DittoFs.Xdr.Generators
{
    public sealed partial class XdrGenerator
    {
        /// <summary>Symbols -> <see cref="TypeModel"/>. The only place that looks at symbols.</summary>
        internal static class Parser
        {
            public static TypeModel? Parse(GeneratorAttributeSyntaxContext context, bool isUnion, CancellationToken ct)
            {
                if (context.TargetSymbol is not INamedTypeSymbol type) return null;
                var known = new KnownTypes(context.SemanticModel.Compilation);
                if (known.XdrType is null || known.XdrUnion is null) return null;

                // A type with both attributes is handled (and reported) by the union pipeline alone.
                if (!isUnion && known.Has(type, known.XdrUnion)) return null;

                ct.ThrowIfCancellationRequested();
                return new TypeParser(type, isUnion, known, context.TargetNode).Parse(ct);
            }
        }

        /// <summary>The well-known symbols the parser compares against, looked up once per type.</summary>
        internal sealed class KnownTypes
        {
            public readonly INamedTypeSymbol? XdrType;
            public readonly INamedTypeSymbol? XdrUnion;
            public readonly INamedTypeSymbol? Discriminant;
            public readonly INamedTypeSymbol? Case;
            public readonly INamedTypeSymbol? Default;
            public readonly INamedTypeSymbol? VoidCase;
            public readonly INamedTypeSymbol? FixedLength;
            public readonly INamedTypeSymbol? MaxLength;
            public readonly INamedTypeSymbol? Ignore;
            public readonly INamedTypeSymbol? Codec;
            public readonly INamedTypeSymbol? ReadOnlySequence;
            public readonly INamedTypeSymbol? ReadOnlyMemory;

            public KnownTypes(Compilation compilation)
            {
                XdrType = compilation.GetTypeByMetadataName(XdrTypeAttribute);
                XdrUnion = compilation.GetTypeByMetadataName(XdrUnionAttribute);
                Discriminant = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrDiscriminantAttribute");
                Case = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrCaseAttribute");
                Default = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrDefaultAttribute");
                VoidCase = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrVoidCaseAttribute");
                FixedLength = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrFixedLengthAttribute");
                MaxLength = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrMaxLengthAttribute");
                Ignore = compilation.GetTypeByMetadataName("DittoFs.Xdr.XdrIgnoreAttribute");
                Codec = compilation.GetTypeByMetadataName("DittoFs.Xdr.IXdrCodec`1");
                ReadOnlySequence = compilation.GetTypeByMetadataName("System.Buffers.ReadOnlySequence`1");
                ReadOnlyMemory = compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
            }

            public AttributeData? Find(ISymbol symbol, INamedTypeSymbol? attribute)
            {
                if (attribute is null) return null;
                foreach (AttributeData data in symbol.GetAttributes())
                {
                    if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute)) return data;
                }
                return null;
            }

            public bool Has(ISymbol symbol, INamedTypeSymbol? attribute) => Find(symbol, attribute) is not null;

            /// <summary>A type with Decode/Encode: annotated here, or implementing IXdrCodec&lt;itself&gt;.</summary>
            public bool IsCodec(INamedTypeSymbol type)
            {
                if (Has(type, XdrType) || Has(type, XdrUnion)) return true;
                foreach (INamedTypeSymbol iface in type.AllInterfaces)
                {
                    if (SymbolEqualityComparer.Default.Equals(iface.OriginalDefinition, Codec)
                        && SymbolEqualityComparer.Default.Equals(iface.TypeArguments[0], type))
                    {
                        return true;
                    }
                }
                return false;
            }
        }
    }
}
