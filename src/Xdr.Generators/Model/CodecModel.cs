namespace DittoFs.Xdr.Generators.Model
{
    /// <summary>How one member (or array element, or optional payload) goes on the wire.</summary>
    internal enum CodecKind
    {
        Int32,
        UInt32,
        Int64,
        UInt64,
        Bool,
        Single,
        Double,
        /// <summary>Enum with an int underlying type.</summary>
        Enum32,
        /// <summary>Enum with a uint underlying type.</summary>
        EnumU32,
        String,
        /// <summary>opaque as System.Buffers.ReadOnlySequence&lt;byte&gt; (zero copy).</summary>
        OpaqueSequence,
        /// <summary>opaque as ReadOnlyMemory&lt;byte&gt;.</summary>
        OpaqueMemory,
        /// <summary>opaque as byte[].</summary>
        OpaqueArray,
        /// <summary>T[]: fixed (FixedLength set) or counted.</summary>
        Array,
        /// <summary>A type with its own Decode/Encode (IXdrCodec).</summary>
        Nested,
        /// <summary>XDR optional-data (*T): a bool, then Element when true.</summary>
        Optional,
    }

    /// <param name="TypeName">Fully qualified C# type of the value (with '?' for optional).</param>
    /// <param name="FixedLength">[XdrFixedLength], or -1.</param>
    /// <param name="MaxLength">[XdrMaxLength], or -1 for unbounded.</param>
    /// <param name="Element">Array element or optional payload.</param>
    /// <param name="ElementMinSize">Least bytes one array element takes on the wire (bounds a lying count).</param>
    /// <param name="IsValueType">Whether TypeName is a value type (null checks, Nullable access).</param>
    internal sealed record CodecModel(
        CodecKind Kind,
        string TypeName,
        int FixedLength,
        int MaxLength,
        CodecModel? Element,
        int ElementMinSize,
        bool IsValueType)
    {
        public bool IsFixed => FixedLength >= 0;
    }
}
