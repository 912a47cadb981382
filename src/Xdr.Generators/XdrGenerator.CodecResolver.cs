using System.Collections.Generic;
using DittoFs.Xdr.Generators.Model;
using Microsoft.CodeAnalysis;

namespace DittoFs.Xdr.Generators
{
    public sealed partial class XdrGenerator
    {
        /// <summary>Maps a C# member type (plus its length attributes) to its wire form.</summary>
        internal sealed class CodecResolver
        {
            private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
                .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

            private readonly KnownTypes _known;

            // Types whose minimum size is being computed: a recursive type contributes 0, never loops.
            private readonly HashSet<ITypeSymbol> _visiting = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);

            public CodecResolver(KnownTypes known, INamedTypeSymbol root)
            {
                _known = known;
                _visiting.Add(root);
            }

            public static string Display(ITypeSymbol type) => type.ToDisplayString(TypeFormat);

            /// <summary>The member's codec with [XdrFixedLength]/[XdrMaxLength] applied; null when the type has no XDR form.</summary>
            public CodecModel? ResolveMember(ISymbol member, ITypeSymbol type, out string? lengthError)
            {
                lengthError = null;
                CodecModel? codec = Resolve(type);
                if (codec is null) return null;

                AttributeData? fixedAttr = _known.Find(member, _known.FixedLength);
                AttributeData? maxAttr = _known.Find(member, _known.MaxLength);
                if (fixedAttr is null && maxAttr is null) return codec;

                int fixedLength = IntArgument(fixedAttr);
                int maxLength = IntArgument(maxAttr);
                // Lengths apply to the payload of an optional (string? with a bound, byte[]? of fixed size).
                CodecModel target = codec.Kind == CodecKind.Optional ? codec.Element! : codec;

                if (fixedAttr is not null && maxAttr is not null)
                {
                    lengthError = "[XdrFixedLength] and [XdrMaxLength] exclude each other";
                }
                else if ((fixedAttr is not null && fixedLength < 0) || (maxAttr is not null && maxLength < 0))
                {
                    lengthError = "a length must not be negative";
                }
                else if (fixedAttr is not null && !IsOpaqueOrArray(target.Kind))
                {
                    lengthError = "[XdrFixedLength] applies only to opaque data (ReadOnlySequence<byte>, ReadOnlyMemory<byte>, byte[]) and arrays";
                }
                else if (maxAttr is not null && !(IsOpaqueOrArray(target.Kind) || target.Kind == CodecKind.String))
                {
                    lengthError = "[XdrMaxLength] applies only to strings, opaque data and arrays";
                }
                if (lengthError is not null) return codec;

                target = fixedAttr is not null ? target with { FixedLength = fixedLength } : target with { MaxLength = maxLength };
                return codec.Kind == CodecKind.Optional ? codec with { Element = target } : target;
            }

            /// <summary>Codec for a type, without length attributes.</summary>
            public CodecModel? Resolve(ITypeSymbol type)
            {
                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
                {
                    CodecModel? inner = ResolveCore(nullable.TypeArguments[0]);
                    return inner is null ? null : Optional(type, inner, isValueType: true);
                }
                if (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated)
                {
                    CodecModel? inner = ResolveCore(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated));
                    return inner is null ? null : Optional(type, inner, isValueType: false);
                }
                return ResolveCore(type);
            }

            private static CodecModel Optional(ITypeSymbol type, CodecModel inner, bool isValueType) =>
                new CodecModel(CodecKind.Optional, Display(type), -1, -1, inner, 0, isValueType);

            private CodecModel? ResolveCore(ITypeSymbol type)
            {
                switch (type.SpecialType)
                {
                    case SpecialType.System_Int32: return Simple(CodecKind.Int32, type);
                    case SpecialType.System_UInt32: return Simple(CodecKind.UInt32, type);
                    case SpecialType.System_Int64: return Simple(CodecKind.Int64, type);
                    case SpecialType.System_UInt64: return Simple(CodecKind.UInt64, type);
                    case SpecialType.System_Boolean: return Simple(CodecKind.Bool, type);
                    case SpecialType.System_Single: return Simple(CodecKind.Single, type);
                    case SpecialType.System_Double: return Simple(CodecKind.Double, type);
                    case SpecialType.System_String: return Simple(CodecKind.String, type);
                }

                if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum } e)
                {
                    switch (e.EnumUnderlyingType?.SpecialType)
                    {
                        case SpecialType.System_Int32: return Simple(CodecKind.Enum32, type);
                        case SpecialType.System_UInt32: return Simple(CodecKind.EnumU32, type);
                        default: return null;
                    }
                }

                if (type is IArrayTypeSymbol { IsSZArray: true } array) return ResolveArray(array);

                if (type is INamedTypeSymbol named)
                {
                    if (IsOfByte(named, _known.ReadOnlySequence)) return Simple(CodecKind.OpaqueSequence, type);
                    if (IsOfByte(named, _known.ReadOnlyMemory)) return Simple(CodecKind.OpaqueMemory, type);
                    if (_known.IsCodec(named)) return Simple(CodecKind.Nested, type);
                }
                return null;
            }

            private CodecModel? ResolveArray(IArrayTypeSymbol array)
            {
                if (array.ElementType.SpecialType == SpecialType.System_Byte) return Simple(CodecKind.OpaqueArray, array);

                CodecModel? element = Resolve(array.ElementType);
                // XDR has no arrays of arrays (byte[] elements are opaque, not arrays, so they are fine).
                if (element is null || element.Kind == CodecKind.Array || element.Element?.Kind == CodecKind.Array) return null;

                int minSize = MinSize(element, array.ElementType);
                return new CodecModel(CodecKind.Array, Display(array), -1, -1, element, minSize, false);
            }

            private static CodecModel Simple(CodecKind kind, ITypeSymbol type) =>
                new CodecModel(kind, Display(type), -1, -1, null, 0, type.IsValueType);

            private static bool IsOfByte(INamedTypeSymbol type, INamedTypeSymbol? generic) =>
                generic is not null
                && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, generic)
                && type.TypeArguments[0].SpecialType == SpecialType.System_Byte;

            private static bool IsOpaqueOrArray(CodecKind kind) =>
                kind is CodecKind.OpaqueSequence or CodecKind.OpaqueMemory or CodecKind.OpaqueArray or CodecKind.Array;

            private static int IntArgument(AttributeData? attribute) =>
                attribute is { ConstructorArguments.Length: 1 } && attribute.ConstructorArguments[0].Value is int n ? n : -1;

            /// <summary>
            /// Least number of bytes a value takes on the wire. Passed to ReadArrayLength so a
            /// lying element count fails before the array is allocated; must never overestimate.
            /// </summary>
            private int MinSize(CodecModel codec, ITypeSymbol type)
            {
                switch (codec.Kind)
                {
                    case CodecKind.Int64:
                    case CodecKind.UInt64:
                    case CodecKind.Double:
                        return 8;
                    case CodecKind.OpaqueSequence:
                    case CodecKind.OpaqueMemory:
                    case CodecKind.OpaqueArray:
                        return codec.IsFixed ? Clamp(((long)codec.FixedLength + 3) & ~3L) : 4;
                    case CodecKind.Array:
                        return codec.IsFixed ? Clamp((long)codec.FixedLength * codec.ElementMinSize) : 4;
                    case CodecKind.Nested:
                        return type is INamedTypeSymbol named ? NestedMinSize(named) : 0;
                    default:
                        return 4; // int, uint, bool, float, enums, string and opaque lengths, optional flags
                }
            }

            private int NestedMinSize(INamedTypeSymbol type)
            {
                if (_known.Has(type, _known.XdrUnion)) return 4; // at least the discriminant
                if (!_known.Has(type, _known.XdrType)) return 0; // hand-written codec: unknown
                if (!_visiting.Add(type)) return 0;               // recursive type

                long total = 0;
                foreach (WireMember member in WireMember.Of(type, _known))
                {
                    CodecModel? codec = ResolveMember(member.Symbol, member.Type, out _);
                    if (codec is not null) total += MinSize(codec, member.Type);
                }
                _visiting.Remove(type);
                return Clamp(total);
            }

            private static int Clamp(long size) => size > int.MaxValue ? int.MaxValue : (int)size;
        }
    }
}
