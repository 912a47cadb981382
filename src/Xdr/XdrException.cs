using System.Diagnostics.CodeAnalysis;

namespace DittoFs.Xdr;

/// <summary>Malformed XDR input: truncated, bad discriminant, length past a bound, non-zero padding.</summary>
public sealed class XdrException(string message) : Exception(message)
{
    [DoesNotReturn]
    public static void Throw(string message) => throw new XdrException(message);

    [DoesNotReturn]
    public static void ThrowTruncated() => throw new XdrException("XDR input ends early");

    [DoesNotReturn]
    public static void ThrowTooLong(long length, int max) =>
        throw new XdrException($"XDR length {length} exceeds the maximum {max}");

    [DoesNotReturn]
    public static void ThrowBadDiscriminant(string type, long value) =>
        throw new XdrException($"XDR union {type}: no arm for discriminant {value}");
}
