using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace DittoFs.Xdr.Generators
{
    public sealed partial class XdrGenerator
    {
        /// <summary>
        /// A member that goes on the wire: instance field or property with a setter, not
        /// [XdrIgnore], not const. Get-only properties are computed values and are skipped.
        /// </summary>
        internal readonly struct WireMember
        {
            public readonly ISymbol Symbol;
            public readonly ITypeSymbol Type;

            /// <summary>Decode can assign it (not a readonly field, not init-only).</summary>
            public readonly bool Assignable;

            private WireMember(ISymbol symbol, ITypeSymbol type, bool assignable)
            {
                Symbol = symbol;
                Type = type;
                Assignable = assignable;
            }

            /// <summary>Wire members in declaration order (by partial declaration, then position in it).</summary>
            public static List<WireMember> Of(INamedTypeSymbol type, KnownTypes known)
            {
                var members = new List<WireMember>();
                foreach (ISymbol member in type.GetMembers())
                {
                    if (member.IsStatic || member.IsImplicitlyDeclared || known.Has(member, known.Ignore)) continue;
                    switch (member)
                    {
                        case IFieldSymbol { IsConst: false } field:
                            members.Add(new WireMember(field, field.Type, !field.IsReadOnly));
                            break;
                        case IPropertySymbol { IsIndexer: false, SetMethod: { } setter } property:
                            members.Add(new WireMember(property, property.Type, !setter.IsInitOnly && property.GetMethod is not null));
                            break;
                    }
                }

                // Stable sort: metadata members (no location) keep GetMembers order.
                var declarations = type.DeclaringSyntaxReferences;
                var keys = new List<(long Order, int Index, WireMember Member)>(members.Count);
                for (int i = 0; i < members.Count; i++) keys.Add((Order(members[i].Symbol), i, members[i]));
                keys.Sort((a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : a.Index.CompareTo(b.Index));
                for (int i = 0; i < keys.Count; i++) members[i] = keys[i].Member;
                return members;

                // Index of the partial declaration holding the member, then its position there.
                long Order(ISymbol symbol)
                {
                    Location location = symbol.Locations.Length > 0 ? symbol.Locations[0] : Location.None;
                    for (int i = 0; i < declarations.Length; i++)
                    {
                        if (declarations[i].SyntaxTree == location.SourceTree && declarations[i].Span.Contains(location.SourceSpan))
                        {
                            return ((long)i << 32) + location.SourceSpan.Start;
                        }
                    }
                    return long.MaxValue;
                }
            }
        }
    }
}
