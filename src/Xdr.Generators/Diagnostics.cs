using Microsoft.CodeAnalysis;

namespace DittoFs.Xdr.Generators
{
    /// <summary>
    /// Errors the XDR generator reports. Every one stops code generation for the
    /// type, so a bad declaration never turns into a wrong wire format.
    /// </summary>
    internal static class Diagnostics
    {
        private const string Category = "DittoFs.Xdr";

        /// <summary>DFXDR001: the [XdrType]/[XdrUnion] type, or a type it is nested in, is not partial.</summary>
        public static readonly DiagnosticDescriptor NotPartial = Error(
            "DFXDR001", "XDR type must be partial",
            "Type '{0}' must be declared partial (and so must every type it is nested in) for XDR code generation");

        /// <summary>DFXDR002: a member's type has no XDR form (byte, short, decimal, List, jagged arrays, ...).</summary>
        public static readonly DiagnosticDescriptor UnsupportedType = Error(
            "DFXDR002", "Member type not supported by XDR",
            "Member '{0}' has type '{1}', which has no XDR encoding");

        /// <summary>DFXDR003: an [XdrUnion] has no [XdrDiscriminant] member.</summary>
        public static readonly DiagnosticDescriptor NoDiscriminant = Error(
            "DFXDR003", "XDR union has no discriminant",
            "Union '{0}' needs exactly one member marked [XdrDiscriminant]");

        /// <summary>DFXDR004: an [XdrUnion] has more than one [XdrDiscriminant] member.</summary>
        public static readonly DiagnosticDescriptor TwoDiscriminants = Error(
            "DFXDR004", "XDR union has more than one discriminant",
            "Member '{0}' is a second [XdrDiscriminant] in union '{1}'");

        /// <summary>DFXDR005: a union member is neither discriminant, [XdrCase] arm nor [XdrDefault] arm.</summary>
        public static readonly DiagnosticDescriptor ArmWithoutCase = Error(
            "DFXDR005", "XDR union member has no case",
            "Member '{0}' of union '{1}' needs [XdrCase(...)], [XdrDefault], [XdrDiscriminant] or [XdrIgnore]");

        /// <summary>DFXDR006: a discriminant value is listed twice (in [XdrCase] or [XdrVoidCase]).</summary>
        public static readonly DiagnosticDescriptor DuplicateCase = Error(
            "DFXDR006", "Duplicate XDR case value",
            "Discriminant value {0} is listed more than once in union '{1}'");

        /// <summary>DFXDR007: more than one [XdrDefault] arm.</summary>
        public static readonly DiagnosticDescriptor TwoDefaults = Error(
            "DFXDR007", "XDR union has more than one default arm",
            "Member '{0}' is a second [XdrDefault] arm in union '{1}'");

        /// <summary>DFXDR008: the discriminant is not int, uint, bool or an int/uint enum.</summary>
        public static readonly DiagnosticDescriptor BadDiscriminantType = Error(
            "DFXDR008", "Invalid XDR discriminant type",
            "Discriminant '{0}' has type '{1}'; it must be int, uint, bool or an enum backed by int or uint");

        /// <summary>DFXDR009: [XdrFixedLength]/[XdrMaxLength] negative, both present, or on a type they do not fit.</summary>
        public static readonly DiagnosticDescriptor BadLength = Error(
            "DFXDR009", "Invalid XDR length attribute",
            "Member '{0}': {1}");

        /// <summary>DFXDR010: a class that generated Decode cannot create (no parameterless constructor, or abstract).</summary>
        public static readonly DiagnosticDescriptor NoParameterlessConstructor = Error(
            "DFXDR010", "XDR class needs a parameterless constructor",
            "Class '{0}' must be non-abstract and have a parameterless constructor so Decode can create it");

        /// <summary>DFXDR011: a wire member Decode cannot assign (readonly field, init-only or get-less property).</summary>
        public static readonly DiagnosticDescriptor ReadOnlyMember = Error(
            "DFXDR011", "XDR member cannot be assigned",
            "Member '{0}' is readonly or init-only; mark it [XdrIgnore] or make it settable");

        /// <summary>DFXDR012: union-only attributes on an [XdrType], or both [XdrType] and [XdrUnion].</summary>
        public static readonly DiagnosticDescriptor UnionAttributeMisuse = Error(
            "DFXDR012", "XDR union attribute outside a union",
            "'{0}' uses {1}, which is only meaningful on an [XdrUnion] type");

        /// <summary>DFXDR013: a case value that is not a constant of the discriminant's type or range.</summary>
        public static readonly DiagnosticDescriptor BadCaseValue = Error(
            "DFXDR013", "Invalid XDR case value",
            "Case value '{0}' in '{1}' does not fit the discriminant type '{2}'");

        /// <summary>DFXDR014: generic types (or types nested in generic types) are not supported.</summary>
        public static readonly DiagnosticDescriptor GenericType = Error(
            "DFXDR014", "Generic XDR types are not supported",
            "Type '{0}' is generic or nested in a generic type; XDR code generation does not support that");

        /// <summary>
        /// DFXDR015: the type contains itself other than through a last '<c>T? Next</c>' link; the
        /// generated code would recurse as deep as the input says (a remote stack overflow).
        /// </summary>
        public static readonly DiagnosticDescriptor Recursive = Error(
            "DFXDR015", "XDR type contains itself",
            "Member '{0}' makes '{1}' contain itself; only a last member of type '{1}?' (a linked list) is allowed, because any other recursion is as deep as the input makes it");

        private static readonly DiagnosticDescriptor[] All =
        {
            NotPartial, UnsupportedType, NoDiscriminant, TwoDiscriminants, ArmWithoutCase, DuplicateCase,
            TwoDefaults, BadDiscriminantType, BadLength, NoParameterlessConstructor, ReadOnlyMember,
            UnionAttributeMisuse, BadCaseValue, GenericType, Recursive,
        };

        public static DiagnosticDescriptor ById(string id)
        {
            foreach (DiagnosticDescriptor d in All)
            {
                if (d.Id == id) return d;
            }
            throw new System.ArgumentException("Unknown diagnostic " + id, nameof(id));
        }

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
    }
}
