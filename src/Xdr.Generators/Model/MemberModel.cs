namespace DittoFs.Xdr.Generators.Model
{
    internal enum MemberRole
    {
        /// <summary>Plain member of an [XdrType].</summary>
        Field,
        Discriminant,
        /// <summary>Union arm, with case values and/or default.</summary>
        Arm,
        /// <summary>
        /// The last member of a class, of the class's own optional type (XDR's <c>T *next</c>):
        /// the type is a linked list, coded in a loop so its length never becomes stack depth.
        /// </summary>
        Link,
    }

    /// <summary>One union case value and how it was written (for a comment in the output).</summary>
    internal sealed record CaseValue(long Value, string Display);

    /// <param name="Name">Member name, escaped with '@' when it is a keyword.</param>
    internal sealed record MemberModel(
        string Name,
        CodecModel Codec,
        MemberRole Role,
        EquatableArray<CaseValue> Cases,
        bool IsDefault);
}
