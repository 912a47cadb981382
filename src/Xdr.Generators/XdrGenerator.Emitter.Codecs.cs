using DittoFs.Xdr.Generators.Model;

namespace DittoFs.Xdr.Generators
{
    public sealed partial class XdrGenerator
    {
        internal sealed partial class Emitter
        {
            /// <summary>Statements that read one value of <paramref name="codec"/> into <paramref name="target"/>.</summary>
            private void Decode(CodecModel codec, string target)
            {
                switch (codec.Kind)
                {
                    case CodecKind.Int32: Line($"{target} = reader.ReadInt32();"); break;
                    case CodecKind.UInt32: Line($"{target} = reader.ReadUInt32();"); break;
                    case CodecKind.Int64: Line($"{target} = reader.ReadInt64();"); break;
                    case CodecKind.UInt64: Line($"{target} = reader.ReadUInt64();"); break;
                    case CodecKind.Bool: Line($"{target} = reader.ReadBool();"); break;
                    case CodecKind.Single: Line($"{target} = reader.ReadSingle();"); break;
                    case CodecKind.Double: Line($"{target} = reader.ReadDouble();"); break;
                    case CodecKind.Enum32: Line($"{target} = ({codec.TypeName})reader.ReadInt32();"); break;
                    case CodecKind.EnumU32: Line($"{target} = ({codec.TypeName})reader.ReadUInt32();"); break;
                    case CodecKind.String: Line($"{target} = reader.ReadString({Max(codec)});"); break;
                    case CodecKind.OpaqueSequence: Line($"{target} = reader.{Opaque(codec, "ReadFixedOpaque", "ReadOpaque")};"); break;
                    case CodecKind.OpaqueMemory: Line($"{target} = reader.{Opaque(codec, "ReadFixedOpaqueMemory", "ReadOpaqueMemory")};"); break;
                    case CodecKind.OpaqueArray: Line($"{target} = reader.{Opaque(codec, "ReadFixedOpaqueArray", "ReadOpaqueArray")};"); break;
                    case CodecKind.Nested: Line($"{target} = {codec.TypeName}.Decode(ref reader);"); break;
                    case CodecKind.Optional:
                        Line("if (reader.ReadBool())");
                        Open();
                        Decode(codec.Element!, target);
                        Close();
                        Line("else");
                        Open();
                        Line($"{target} = null;");
                        Close();
                        break;
                    case CodecKind.Array:
                        DecodeArray(codec, target);
                        break;
                }
            }

            private void DecodeArray(CodecModel codec, string target)
            {
                CodecModel element = codec.Element!;
                string count = Temp("n"), array = Temp("a"), i = Temp("i");
                Open();
                if (codec.IsFixed)
                {
                    Line($"int {count} = {Literal(codec.FixedLength)};");
                    long least = (long)codec.FixedLength * codec.ElementMinSize;
                    // Fail on a short record before allocating the array.
                    if (least > 0) Line($"if (reader.Remaining < {Literal(least)}L) {Exception}.ThrowTruncated();");
                }
                else
                {
                    string max = codec.MaxLength >= 0 ? Literal(codec.MaxLength) : "int.MaxValue";
                    Line($"int {count} = reader.ReadArrayLength({max}, {Literal(codec.ElementMinSize)});");
                }
                Line($"{codec.TypeName} {array} = {NewArray(element.TypeName, count)};");
                Line($"for (int {i} = 0; {i} < {count}; {i}++)");
                Open();
                Decode(element, $"{array}[{i}]");
                Close();
                Line($"{target} = {array};");
                Close();
            }

            /// <summary>Statements that write <paramref name="source"/> (evaluated once) as <paramref name="codec"/>.</summary>
            private void Encode(CodecModel codec, string source, string path)
            {
                switch (codec.Kind)
                {
                    case CodecKind.Int32: Line($"writer.WriteInt32({source});"); break;
                    case CodecKind.UInt32: Line($"writer.WriteUInt32({source});"); break;
                    case CodecKind.Int64: Line($"writer.WriteInt64({source});"); break;
                    case CodecKind.UInt64: Line($"writer.WriteUInt64({source});"); break;
                    case CodecKind.Bool: Line($"writer.WriteBool({source});"); break;
                    case CodecKind.Single: Line($"writer.WriteSingle({source});"); break;
                    case CodecKind.Double: Line($"writer.WriteDouble({source});"); break;
                    case CodecKind.Enum32: Line($"writer.WriteInt32((int){source});"); break;
                    case CodecKind.EnumU32: Line($"writer.WriteUInt32((uint){source});"); break;
                    case CodecKind.String: EncodeString(codec, source); break;
                    case CodecKind.OpaqueSequence: EncodeOpaque(codec, "global::System.Buffers.ReadOnlySequence<byte>", source, path); break;
                    case CodecKind.OpaqueMemory: EncodeOpaque(codec, "global::System.ReadOnlySpan<byte>", source + ".Span", path); break;
                    // A null byte[] becomes an empty span: written as empty opaque.
                    case CodecKind.OpaqueArray: EncodeOpaque(codec, "global::System.ReadOnlySpan<byte>", source, path); break;
                    case CodecKind.Nested:
                        Line(codec.IsValueType
                            ? $"{source}.Encode(ref writer);"
                            : $"({source} ?? throw new {Exception}({Quote("XDR " + path + " is null")})).Encode(ref writer);");
                        break;
                    case CodecKind.Optional: EncodeOptional(codec, source, path); break;
                    case CodecKind.Array: EncodeArray(codec, source, path); break;
                }
            }

            // A null string is written as the empty string.
            private void EncodeString(CodecModel codec, string source)
            {
                if (codec.MaxLength < 0)
                {
                    Line($"writer.WriteString({source} ?? \"\");");
                    return;
                }
                string s = Temp("s");
                string max = Literal(codec.MaxLength);
                Open();
                Line($"string {s} = {source} ?? \"\";");
                // UTF-8 takes at most 3 bytes per UTF-16 char: only long strings need counting.
                Line($"if ({s}.Length > {Literal(codec.MaxLength / 3)} && global::System.Text.Encoding.UTF8.GetByteCount({s}) > {max})");
                Line($"    {Exception}.ThrowTooLong(global::System.Text.Encoding.UTF8.GetByteCount({s}), {max});");
                Line($"writer.WriteString({s});");
                Close();
            }

            private void EncodeOpaque(CodecModel codec, string localType, string source, string path)
            {
                string data = Temp("d");
                Open();
                Line($"{localType} {data} = {source};");
                CheckLength(codec, data + ".Length", path, "bytes");
                Line(codec.IsFixed ? $"writer.WriteFixedOpaque({data});" : $"writer.WriteOpaque({data});");
                Close();
            }

            private void EncodeOptional(CodecModel codec, string source, string path)
            {
                string local = Temp("o");
                Open();
                Line($"{codec.TypeName} {local} = {source};");
                Line($"if ({local} is not null)");
                Open();
                Line("writer.WriteBool(true);");
                Encode(codec.Element!, codec.IsValueType ? local + ".GetValueOrDefault()" : local, path);
                Close();
                Line("else");
                Open();
                Line("writer.WriteBool(false);");
                Close();
                Close();
            }

            // A null array is written as an empty one (and fails a fixed length).
            private void EncodeArray(CodecModel codec, string source, string path)
            {
                CodecModel element = codec.Element!;
                string array = Temp("a"), i = Temp("i");
                Open();
                Line($"{codec.TypeName} {array} = {source} ?? global::System.Array.Empty<{element.TypeName}>();");
                CheckLength(codec, array + ".Length", path, "elements");
                if (!codec.IsFixed) Line($"writer.WriteUInt32((uint){array}.Length);");
                Line($"for (int {i} = 0; {i} < {array}.Length; {i}++)");
                Open();
                Encode(element, $"{array}[{i}]", path + "[]");
                Close();
                Close();
            }

            /// <summary>Encode refuses what Decode on the other side would reject.</summary>
            private void CheckLength(CodecModel codec, string length, string path, string unit)
            {
                if (codec.IsFixed)
                {
                    string n = Literal(codec.FixedLength);
                    Line($"if ({length} != {n}) {Exception}.Throw({Quote($"XDR {path} must have exactly {n} {unit}")});");
                }
                else if (codec.MaxLength >= 0)
                {
                    string max = Literal(codec.MaxLength);
                    Line($"if ({length} > {max}) {Exception}.ThrowTooLong({length}, {max});");
                }
            }

            private static string Max(CodecModel codec) => codec.MaxLength >= 0 ? Literal(codec.MaxLength) : "";

            private static string Opaque(CodecModel codec, string fixedMethod, string variableMethod) =>
                codec.IsFixed ? $"{fixedMethod}({Literal(codec.FixedLength)})" : $"{variableMethod}({Max(codec)})";

            /// <summary>new T[n], or new byte[n][] when the element is itself an array (byte[] opaque).</summary>
            private static string NewArray(string elementType, string count)
            {
                string bare = elementType.EndsWith("?", System.StringComparison.Ordinal) && elementType.EndsWith("[]?", System.StringComparison.Ordinal)
                    ? elementType.Substring(0, elementType.Length - 1)
                    : elementType;
                return bare.EndsWith("[]", System.StringComparison.Ordinal)
                    ? $"new {bare.Substring(0, bare.Length - 2)}[{count}][]"
                    : $"new {elementType}[{count}]";
            }
        }
    }
}
