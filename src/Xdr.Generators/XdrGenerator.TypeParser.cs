using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;
using System.Threading;
using DittoFs.Xdr.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DittoFs.Xdr.Generators
{
    public sealed partial class XdrGenerator
    {
        /// <summary>Builds the model of one [XdrType]/[XdrUnion] type and collects its diagnostics.</summary>
        internal sealed class TypeParser
        {
            private readonly INamedTypeSymbol _type;
            private readonly bool _isUnion;
            private readonly KnownTypes _known;
            private readonly Location _typeLocation;
            private readonly CodecResolver _resolver;
            private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();

            public TypeParser(INamedTypeSymbol type, bool isUnion, KnownTypes known, SyntaxNode target)
            {
                _type = type;
                _isUnion = isUnion;
                _known = known;
                _typeLocation = target is TypeDeclarationSyntax declaration ? declaration.Identifier.GetLocation() : target.GetLocation();
                _resolver = new CodecResolver(known, type);
            }

            public TypeModel Parse(CancellationToken ct)
            {
                CheckDeclaration();

                var members = new List<MemberModel>();
                var pendingCases = new List<(int Index, AttributeData Attribute, ISymbol Member)>();
                MemberModel? discriminant = null;
                ISymbol? discriminantSymbol = null;
                bool sawDefault = false;

                foreach (WireMember wire in WireMember.Of(_type, _known))
                {
                    ct.ThrowIfCancellationRequested();
                    ISymbol symbol = wire.Symbol;
                    if (!wire.Assignable)
                    {
                        Report(Diagnostics.ReadOnlyMember, symbol.Locations, symbol.Name);
                        continue;
                    }

                    CodecModel? codec = _resolver.ResolveMember(symbol, wire.Type, out string? lengthError);
                    if (codec is null)
                    {
                        Report(Diagnostics.UnsupportedType, symbol.Locations, symbol.Name, wire.Type.ToDisplayString());
                        continue;
                    }
                    if (lengthError is not null)
                    {
                        Report(Diagnostics.BadLength, symbol.Locations, symbol.Name, lengthError);
                        continue;
                    }

                    bool isDiscriminant = _known.Has(symbol, _known.Discriminant);
                    AttributeData? caseAttribute = _known.Find(symbol, _known.Case);
                    bool isDefault = _known.Has(symbol, _known.Default);
                    string name = Escape(symbol.Name);

                    if (!_isUnion)
                    {
                        if (isDiscriminant || caseAttribute is not null || isDefault)
                        {
                            Report(Diagnostics.UnionAttributeMisuse, symbol.Locations, symbol.Name, "[XdrDiscriminant], [XdrCase] or [XdrDefault]");
                        }
                        members.Add(new MemberModel(name, codec, MemberRole.Field, EquatableArray<CaseValue>.Empty, false));
                        continue;
                    }

                    if (isDiscriminant)
                    {
                        if (discriminant is not null)
                        {
                            Report(Diagnostics.TwoDiscriminants, symbol.Locations, symbol.Name, _type.Name);
                        }
                        else if (DiscriminantKindOf(codec) is null)
                        {
                            Report(Diagnostics.BadDiscriminantType, symbol.Locations, symbol.Name, wire.Type.ToDisplayString());
                        }
                        else
                        {
                            discriminant = new MemberModel(name, codec, MemberRole.Discriminant, EquatableArray<CaseValue>.Empty, false);
                            discriminantSymbol = symbol;
                        }
                        continue;
                    }

                    if (caseAttribute is null && !isDefault)
                    {
                        Report(Diagnostics.ArmWithoutCase, symbol.Locations, symbol.Name, _type.Name);
                        continue;
                    }
                    if (isDefault)
                    {
                        if (sawDefault) Report(Diagnostics.TwoDefaults, symbol.Locations, symbol.Name, _type.Name);
                        sawDefault = true;
                    }
                    if (caseAttribute is not null) pendingCases.Add((members.Count, caseAttribute, symbol));
                    members.Add(new MemberModel(name, codec, MemberRole.Arm, EquatableArray<CaseValue>.Empty, isDefault));
                }

                List<WireMember> wires = WireMember.Of(_type, _known);
                CheckRecursion(wires);
                // Each wire member became one model member when nothing was reported.
                if (!_isUnion && _diagnostics.Count == 0 && members.Count == wires.Count && IsLink(_type, wires, wires.Count - 1))
                {
                    members[members.Count - 1] = members[members.Count - 1] with { Role = MemberRole.Link };
                }

                EquatableArray<CaseValue> voidCases = EquatableArray<CaseValue>.Empty;
                DiscriminantKind kind = DiscriminantKind.Int32;
                if (_isUnion)
                {
                    if (discriminant is null && !HasDiscriminantAttribute())
                    {
                        Report(Diagnostics.NoDiscriminant, _typeLocation, _type.Name);
                    }
                    else if (discriminant is not null)
                    {
                        kind = DiscriminantKindOf(discriminant.Codec)!.Value;
                        ITypeSymbol discriminantType = ((discriminantSymbol as IFieldSymbol)?.Type ?? (discriminantSymbol as IPropertySymbol)?.Type)!;
                        voidCases = ResolveCases(members, pendingCases, discriminantType, kind);
                    }
                }
                else
                {
                    foreach (AttributeData voidCase in _type.GetAttributes())
                    {
                        if (SymbolEqualityComparer.Default.Equals(voidCase.AttributeClass, _known.VoidCase))
                        {
                            Report(Diagnostics.UnionAttributeMisuse, _typeLocation, _type.Name, "[XdrVoidCase]");
                            break;
                        }
                    }
                }

                return new TypeModel(
                    Namespace: _type.ContainingNamespace.IsGlobalNamespace ? null : _type.ContainingNamespace.ToDisplayString(),
                    ContainingTypes: ContainingTypes(),
                    Keyword: Keyword(_type),
                    Name: Escape(_type.Name),
                    FullName: CodecResolver.Display(_type),
                    HintName: HintName(),
                    IsValueType: _type.IsValueType,
                    ReadOnlyEncode: _type.IsValueType && CanEncodeReadOnly(_type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default)),
                    IsUnion: _isUnion,
                    DefaultIsVoid: _isUnion && DefaultIsVoid(),
                    Discriminant: discriminant,
                    DiscriminantKind: kind,
                    Members: EquatableArray.From(members),
                    VoidCases: voidCases,
                    Diagnostics: EquatableArray.From(_diagnostics));
            }

            // A discriminant rejected for its type was still declared: do not also report "no discriminant".
            private bool HasDiscriminantAttribute()
            {
                foreach (ISymbol member in _type.GetMembers())
                {
                    if (_known.Has(member, _known.Discriminant)) return true;
                }
                return false;
            }

            /// <summary>Type-level rules: partial all the way out, not generic, constructible.</summary>
            private void CheckDeclaration()
            {
                for (INamedTypeSymbol? t = _type; t is not null; t = t.ContainingType)
                {
                    if (!IsPartialEverywhere(t))
                    {
                        Report(Diagnostics.NotPartial, _typeLocation, t.Name);
                        break;
                    }
                }
                for (INamedTypeSymbol? t = _type; t is not null; t = t.ContainingType)
                {
                    if (t.IsGenericType)
                    {
                        Report(Diagnostics.GenericType, _typeLocation, _type.Name);
                        break;
                    }
                }
                if (_type.TypeKind == TypeKind.Class && (_type.IsAbstract || _type.IsStatic || !HasParameterlessConstructor()))
                {
                    Report(Diagnostics.NoParameterlessConstructor, _typeLocation, _type.Name);
                }
                if (_isUnion && _known.Has(_type, _known.XdrType))
                {
                    Report(Diagnostics.UnionAttributeMisuse, _typeLocation, _type.Name, "[XdrType] together with [XdrUnion]");
                }
            }

            /// <summary>
            /// A type may contain itself only as a linked list (see <see cref="IsLink"/>): any other
            /// path back to it (a non-last or array member, a member of a member, a union arm) makes
            /// the generated code recurse once per level of input, and a hostile peer picks the depth.
            /// </summary>
            private void CheckRecursion(List<WireMember> wires)
            {
                var visited = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
                for (int i = 0; i < wires.Count; i++)
                {
                    if (IsLink(_type, wires, i) || !Reaches(wires[i].Type, visited)) continue;
                    Report(Diagnostics.Recursive, wires[i].Symbol.Locations, wires[i].Symbol.Name, _type.Name);
                    return;
                }
            }

            /// <summary>Whether a value of <paramref name="type"/> can hold a value of the type being parsed.</summary>
            private bool Reaches(ITypeSymbol type, HashSet<ITypeSymbol> visited)
            {
                if (type is IArrayTypeSymbol array) type = array.ElementType;
                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable) type = nullable.TypeArguments[0];
                if (type is not INamedTypeSymbol named || !(_known.Has(named, _known.XdrType) || _known.Has(named, _known.XdrUnion))) return false;
                if (SymbolEqualityComparer.Default.Equals(named, _type)) return true;
                if (!visited.Add(named)) return false;

                List<WireMember> wires = WireMember.Of(named, _known);
                for (int i = 0; i < wires.Count; i++)
                {
                    if (!IsLink(named, wires, i) && Reaches(wires[i].Type, visited)) return true;
                }
                return false;
            }

            /// <summary>The last member of an [XdrType] class, of that class's own optional type: XDR's <c>T *next</c>.</summary>
            private bool IsLink(INamedTypeSymbol owner, List<WireMember> wires, int index) =>
                owner.TypeKind == TypeKind.Class
                && !_known.Has(owner, _known.XdrUnion)
                && index >= 0 && index == wires.Count - 1
                && wires[index].Type.IsReferenceType
                && wires[index].Type.NullableAnnotation == NullableAnnotation.Annotated
                && SymbolEqualityComparer.Default.Equals(wires[index].Type, owner);

            private bool HasParameterlessConstructor()
            {
                foreach (IMethodSymbol constructor in _type.InstanceConstructors)
                {
                    if (constructor.Parameters.Length == 0) return true;
                }
                return false;
            }

            private static bool IsPartialEverywhere(INamedTypeSymbol type)
            {
                foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax() is not TypeDeclarationSyntax declaration) return false;
                    bool partial = false;
                    foreach (SyntaxToken modifier in declaration.Modifiers) partial |= modifier.IsKind(SyntaxKind.PartialKeyword);
                    if (!partial) return false;
                }
                return true;
            }

            /// <summary>
            /// Turns [XdrCase] and [XdrVoidCase] constants into numbers once the discriminant type is
            /// known, checks them, and returns the void cases.
            /// </summary>
            private EquatableArray<CaseValue> ResolveCases(
                List<MemberModel> members,
                List<(int Index, AttributeData Attribute, ISymbol Member)> pendingCases,
                ITypeSymbol discriminantType,
                DiscriminantKind kind)
            {
                var seen = new HashSet<long>();
                foreach ((int index, AttributeData attribute, ISymbol member) in pendingCases)
                {
                    List<CaseValue> values = ReadCaseValues(attribute, member.Name, discriminantType, kind, seen);
                    members[index] = members[index] with { Cases = EquatableArray.From(values) };
                }

                var voidCases = new List<CaseValue>();
                foreach (AttributeData attribute in _type.GetAttributes())
                {
                    if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _known.VoidCase))
                    {
                        voidCases.AddRange(ReadCaseValues(attribute, _type.Name, discriminantType, kind, seen));
                    }
                }
                return EquatableArray.From(voidCases);
            }

            private List<CaseValue> ReadCaseValues(AttributeData attribute, string owner, ITypeSymbol discriminantType, DiscriminantKind kind, HashSet<long> seen)
            {
                Location? location = attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? _typeLocation;
                var values = new List<CaseValue>();
                // params object[] arrives as one array constant.
                foreach (TypedConstant argument in attribute.ConstructorArguments)
                {
                    ImmutableArray<TypedConstant> constants = argument.Kind == TypedConstantKind.Array ? argument.Values : ImmutableArray.Create(argument);
                    foreach (TypedConstant constant in constants)
                    {
                        if (!TryCaseValue(constant, discriminantType, kind, out long value))
                        {
                            Report(Diagnostics.BadCaseValue, location, constant.IsNull ? "null" : constant.ToCSharpString(), owner, discriminantType.ToDisplayString());
                            continue;
                        }
                        if (!seen.Add(value))
                        {
                            Report(Diagnostics.DuplicateCase, location, constant.ToCSharpString(), _type.Name);
                            continue;
                        }
                        values.Add(new CaseValue(value, constant.ToCSharpString()));
                    }
                }
                return values;
            }

            private static bool TryCaseValue(TypedConstant constant, ITypeSymbol discriminantType, DiscriminantKind kind, out long value)
            {
                value = 0;
                if (constant.Kind == TypedConstantKind.Error || constant.IsNull) return false;
                // An enum constant must be of the discriminant's own enum.
                if (constant.Kind == TypedConstantKind.Enum
                    && !SymbolEqualityComparer.Default.Equals(constant.Type, discriminantType)
                    && discriminantType.TypeKind == TypeKind.Enum)
                {
                    return false;
                }

                switch (constant.Value)
                {
                    case bool b when kind == DiscriminantKind.Bool: value = b ? 1 : 0; break;
                    case int i: value = i; break;
                    case uint u: value = u; break;
                    case long l: value = l; break;
                    case ulong ul when ul <= long.MaxValue: value = (long)ul; break;
                    case short s: value = s; break;
                    case ushort us: value = us; break;
                    case sbyte sb: value = sb; break;
                    case byte by: value = by; break;
                    default: return false;
                }

                switch (kind)
                {
                    case DiscriminantKind.Int32: return value >= int.MinValue && value <= int.MaxValue;
                    case DiscriminantKind.UInt32: return value >= 0 && value <= uint.MaxValue;
                    default: return value == 0 || value == 1;
                }
            }

            private static DiscriminantKind? DiscriminantKindOf(CodecModel codec)
            {
                switch (codec.Kind)
                {
                    case CodecKind.Int32:
                    case CodecKind.Enum32:
                        return DiscriminantKind.Int32;
                    case CodecKind.UInt32:
                    case CodecKind.EnumU32:
                        return DiscriminantKind.UInt32;
                    case CodecKind.Bool:
                        return DiscriminantKind.Bool;
                    default:
                        return null;
                }
            }

            private bool DefaultIsVoid()
            {
                AttributeData? union = _known.Find(_type, _known.XdrUnion);
                if (union is null) return false;
                foreach (KeyValuePair<string, TypedConstant> argument in union.NamedArguments)
                {
                    if (argument.Key == "DefaultIsVoid" && argument.Value.Value is bool b) return b;
                }
                return false;
            }

            /// <summary>
            /// A struct's Encode can be readonly unless it would call a non-readonly getter or a
            /// non-readonly Encode on a struct field (a defensive copy, warning CS8656).
            /// </summary>
            private bool CanEncodeReadOnly(INamedTypeSymbol type, HashSet<ITypeSymbol> visiting)
            {
                if (!visiting.Add(type)) return true;
                foreach (WireMember wire in WireMember.Of(type, _known))
                {
                    if (wire.Symbol is IPropertySymbol property)
                    {
                        if (property.GetMethod is not { IsReadOnly: true }) return false;
                        continue;
                    }
                    if (wire.Type is not INamedTypeSymbol { IsValueType: true, TypeKind: TypeKind.Struct } field) continue;
                    if (field.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T || !_known.IsCodec(field)) continue;
                    bool generatedHere = field.DeclaringSyntaxReferences.Length > 0
                        && (_known.Has(field, _known.XdrType) || _known.Has(field, _known.XdrUnion));
                    if (generatedHere ? !CanEncodeReadOnly(field, visiting) : !HasReadOnlyEncode(field)) return false;
                }
                return true;
            }

            private static bool HasReadOnlyEncode(INamedTypeSymbol type)
            {
                foreach (ISymbol member in type.GetMembers("Encode"))
                {
                    if (member is IMethodSymbol { Parameters.Length: 1, IsStatic: false } method) return method.IsReadOnly;
                }
                return false;
            }

            private EquatableArray<ContainingType> ContainingTypes()
            {
                var types = new List<ContainingType>();
                for (INamedTypeSymbol? t = _type.ContainingType; t is not null; t = t.ContainingType)
                {
                    types.Insert(0, new ContainingType(Keyword(t), Escape(t.Name)));
                }
                return EquatableArray.From(types);
            }

            private static string Keyword(INamedTypeSymbol type)
            {
                switch (type.TypeKind)
                {
                    case TypeKind.Struct: return type.IsRecord ? "record struct" : "struct";
                    case TypeKind.Interface: return "interface";
                    default: return type.IsRecord ? "record" : "class";
                }
            }

            /// <summary>Namespace.Outer.Type.Xdr.g.cs, with anything odd replaced by '_'.</summary>
            private string HintName()
            {
                string name = _type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                if (name.StartsWith("global::", System.StringComparison.Ordinal)) name = name.Substring("global::".Length);
                var builder = new StringBuilder(name.Length + 10);
                foreach (char c in name) builder.Append(char.IsLetterOrDigit(c) || c == '_' || c == '.' ? c : '_');
                return builder.Append(".Xdr.g.cs").ToString();
            }

            internal static string Escape(string name) =>
                SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

            private void Report(DiagnosticDescriptor descriptor, ImmutableArray<Location> locations, params string[] args) =>
                Report(descriptor, locations.Length > 0 ? locations[0] : _typeLocation, args);

            private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] args) =>
                _diagnostics.Add(new DiagnosticInfo(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(args)));
        }
    }
}
