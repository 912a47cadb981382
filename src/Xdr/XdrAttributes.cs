namespace DittoFs.Xdr;

// The attributes the XDR source generator (src/Xdr.Generators) looks for.
// Members of an annotated type are encoded in declaration order: instance
// fields, and properties with a setter, unless marked [XdrIgnore].

/// <summary>An XDR struct: a partial class or struct whose members follow each other on the wire.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class XdrTypeAttribute : Attribute;

/// <summary>
/// An XDR discriminated union: one member marked [XdrDiscriminant], then arms
/// marked [XdrCase(...)] or [XdrDefault]. Discriminant values listed in
/// [XdrVoidCase] carry no arm; any other value is void when DefaultIsVoid,
/// else a decode error.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class XdrUnionAttribute : Attribute
{
    public bool DefaultIsVoid { get; set; }
}

[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class XdrDiscriminantAttribute : Attribute;

/// <summary>The arm used for these discriminant values (enum constants or integers).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class XdrCaseAttribute(params object[] values) : Attribute
{
    public object[] Values { get; } = values;
}

/// <summary>The arm used for every discriminant value no [XdrCase] or [XdrVoidCase] names.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class XdrDefaultAttribute : Attribute;

/// <summary>Discriminant values whose arm is void.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class XdrVoidCaseAttribute(params object[] values) : Attribute
{
    public object[] Values { get; } = values;
}

/// <summary>Fixed-length opaque (<c>opaque x[n]</c>) or fixed-length array (<c>T x[n]</c>).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class XdrFixedLengthAttribute(int length) : Attribute
{
    public int Length { get; } = length;
}

/// <summary>Upper bound of a variable-length opaque, string or array (<c>opaque x&lt;n&gt;</c>).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class XdrMaxLengthAttribute(int length) : Attribute
{
    public int Length { get; } = length;
}

/// <summary>Member not on the wire.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class XdrIgnoreAttribute : Attribute;
