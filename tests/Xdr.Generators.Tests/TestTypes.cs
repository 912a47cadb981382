using System;
using System.Buffers;
using DittoFs.Xdr;

// Types covering every member kind the generator supports.
namespace DittoFs.Xdr.Generators.Tests;

public enum Color : int { Red = 0, Green = 1, Blue = -2 }

public enum Flags : uint { None = 0, High = 0x80000000 }

[XdrType]
public partial struct Primitives
{
    public int I; public uint U; public long L; public ulong UL; public bool B; public float F; public double D;
    public Color C; public Flags Fl;
}

[XdrType]
public partial class Opaques
{
    [XdrFixedLength(3)] public ReadOnlySequence<byte> FixedSeq;
    [XdrMaxLength(10)] public ReadOnlySequence<byte> VarSeq;
    [XdrFixedLength(5)] public ReadOnlyMemory<byte> FixedMem;
    public ReadOnlyMemory<byte> VarMem;
    [XdrFixedLength(4)] public byte[] FixedArr = new byte[4];
    [XdrMaxLength(7)] public byte[] VarArr = Array.Empty<byte>();
}

[XdrType]
public partial class Strings
{
    [XdrMaxLength(12)] public string Bounded = "";
    public string Unbounded { get; set; } = "";
    public string? Optional;
}

[XdrType]
public partial class Arrays
{
    [XdrFixedLength(2)] public int[] FixedInts = new int[2];
    [XdrMaxLength(4)] public long[] Hypers = Array.Empty<long>();
    public string[] Names = Array.Empty<string>();
    [XdrFixedLength(2)] public Point[] FixedPoints = new Point[2];
    public Point[] Points = Array.Empty<Point>();
    public Color[] Colors = Array.Empty<Color>();
    public ReadOnlyMemory<byte>[] Blobs = Array.Empty<ReadOnlyMemory<byte>>();
    public byte[][] ByteArrays = Array.Empty<byte[]>();
}

[XdrType] public partial struct Point { public int X; public int Y; }

[XdrType]
public partial class Optionals
{
    public int? MaybeInt;
    public Point? MaybePoint;
    public byte[]? MaybeBytes;
    [XdrMaxLength(3)] public uint[]? MaybeArray;
    public Point?[] SparsePoints = Array.Empty<Point?>();
}

/// <summary>Union with an int discriminant, a multi-value arm, a void case and a default arm.</summary>
[XdrUnion]
[XdrVoidCase(3)]
public partial struct Shape
{
    [XdrDiscriminant] public int Kind;
    [XdrCase(1, 2)] public Point Center;
    [XdrCase(-1)] [XdrMaxLength(8)] public string Label;
    [XdrDefault] public uint Other;
}

/// <summary>No default: unknown discriminants are errors.</summary>
[XdrUnion]
[XdrVoidCase(Color.Green)]
public partial class Paint
{
    [XdrDiscriminant] public Color Color { get; set; }
    [XdrCase(Color.Red)] public int Red { get; set; }
    [XdrCase(Color.Blue)] public Shape Blue { get; set; }
}

[XdrUnion]
[XdrVoidCase(false)]
public partial struct Maybe
{
    [XdrDiscriminant] public bool Present;
    [XdrCase(true)] public ulong Value;
    [XdrIgnore] public int NotOnWire;
}

[XdrUnion(DefaultIsVoid = true)]
public partial struct UFlags
{
    [XdrDiscriminant] public Flags Which;
    [XdrCase(Flags.High)] public Maybe Inner;
}

[XdrType]
public partial class Nesting
{
    public Paint Paint = new();
    public Shape[] Shapes = Array.Empty<Shape>();
    public UFlags U;
}

public static partial class Outer
{
    public partial class Middle
    {
        [XdrType] internal partial record struct Inner(int A) { public int B; public string @class = ""; }
    }
}

/// <summary>The smallest XDR linked list: struct node { int value; node *next; } (8 bytes a node).</summary>
[XdrType]
public partial class Node
{
    public int Value;
    public Node? Next;
}

/// <summary>A list whose nodes hold a list (RFC 1813 exportnode holds groups), and an optional head.</summary>
[XdrType]
public partial class Group
{
    [XdrMaxLength(16)] public string Name = "";
    public Node? Members;
    public Group? Next;
}
