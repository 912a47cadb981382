namespace DittoFs.Xdr.Generators.Model
{
    /// <summary>An enclosing type the generated partial must be nested in.</summary>
    /// <param name="Keyword">class, struct, record, record struct or interface.</param>
    internal sealed record ContainingType(string Keyword, string Name);

    /// <summary>How a union's discriminant is read: the switch always runs on an int or uint.</summary>
    internal enum DiscriminantKind
    {
        Int32,
        UInt32,
        Bool,
    }

    /// <summary>Everything the emitter needs for one annotated type; plain data, value equality.</summary>
    /// <param name="Namespace">Containing namespace, or null for the global namespace.</param>
    /// <param name="FullName">global::-qualified type name.</param>
    /// <param name="ReadOnlyEncode">Struct whose Encode can be a readonly member (no defensive copies).</param>
    /// <param name="Discriminant">Union discriminant member (null for XdrType).</param>
    /// <param name="VoidCases">Discriminant values with a void arm.</param>
    internal sealed record TypeModel(
        string? Namespace,
        EquatableArray<ContainingType> ContainingTypes,
        string Keyword,
        string Name,
        string FullName,
        string HintName,
        bool IsValueType,
        bool ReadOnlyEncode,
        bool IsUnion,
        bool DefaultIsVoid,
        MemberModel? Discriminant,
        DiscriminantKind DiscriminantKind,
        EquatableArray<MemberModel> Members,
        EquatableArray<CaseValue> VoidCases,
        EquatableArray<DiagnosticInfo> Diagnostics)
    {
        /// <summary>No code is emitted for a type with errors: it would only add confusing follow-on errors.</summary>
        public bool CanEmit => Diagnostics.Count == 0;
    }
}
