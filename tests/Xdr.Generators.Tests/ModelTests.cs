using System.Reflection;
using DittoFs.Xdr.Generators;
using Microsoft.CodeAnalysis;
using Xunit;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>
/// The pipeline caches only if the model holds plain data: a symbol, syntax node or
/// compilation in it would never compare equal (and would keep compilations alive).
/// </summary>
public class ModelTests
{
    private static readonly Type[] Forbidden =
        [typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(AttributeData)];

    public static TheoryData<string> ModelTypes()
    {
        var data = new TheoryData<string>();
        foreach (Type type in ModelAssemblyTypes()) data.Add(type.FullName!);
        return data;
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void ModelType_HoldsNoRoslynObjects(string typeName)
    {
        Type type = typeof(XdrGenerator).Assembly.GetType(typeName)!;
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            foreach (Type used in Flatten(field.FieldType))
            {
                Assert.False(Forbidden.Any(f => f.IsAssignableFrom(used)), $"{typeName}.{field.Name} holds {used}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void ModelType_IsEquatable(string typeName)
    {
        Type type = typeof(XdrGenerator).Assembly.GetType(typeName)!;
        if (type.IsEnum) return;
        Assert.Contains(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>));
    }

    [Fact]
    public void ModelNamespace_IsNotEmpty() => Assert.True(ModelAssemblyTypes().Count() >= 6);

    private static IEnumerable<Type> ModelAssemblyTypes() =>
        typeof(XdrGenerator).Assembly.GetTypes().Where(t =>
            !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))
            && (t.Namespace == "DittoFs.Xdr.Generators.Model" || t.Name.StartsWith("EquatableArray`", StringComparison.Ordinal)));

    // A field's type and its generic arguments / element types: EquatableArray<T> hides T.
    private static IEnumerable<Type> Flatten(Type type)
    {
        yield return type;
        if (type.HasElementType)
        {
            foreach (Type inner in Flatten(type.GetElementType()!)) yield return inner;
        }
        foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            foreach (Type inner in Flatten(argument)) yield return inner;
        }
    }
}
