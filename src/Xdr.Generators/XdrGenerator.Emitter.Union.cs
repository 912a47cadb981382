using DittoFs.Xdr.Generators.Model;

namespace DittoFs.Xdr.Generators
{
    public sealed partial class XdrGenerator
    {
        internal sealed partial class Emitter
        {
            // The switch runs on the raw int/uint (bool as 0/1), so case labels are plain literals.
            private void EmitUnionDecode()
            {
                MemberModel discriminant = _model.Discriminant!;
                string member = "value." + discriminant.Name;
                switch (_model.DiscriminantKind)
                {
                    case DiscriminantKind.Int32:
                        Line("int __d = reader.ReadInt32();");
                        Line($"{member} = ({discriminant.Codec.TypeName})__d;");
                        break;
                    case DiscriminantKind.UInt32:
                        Line("uint __d = reader.ReadUInt32();");
                        Line($"{member} = ({discriminant.Codec.TypeName})__d;");
                        break;
                    default:
                        Line("int __d = reader.ReadBool() ? 1 : 0;");
                        Line($"{member} = __d != 0;");
                        break;
                }
                EmitSwitch(arm => Decode(arm.Codec, "value." + arm.Name));
            }

            private void EmitUnionEncode()
            {
                MemberModel discriminant = _model.Discriminant!;
                string member = "this." + discriminant.Name;
                switch (_model.DiscriminantKind)
                {
                    case DiscriminantKind.Int32:
                        Line($"int __d = (int){member};");
                        Line("writer.WriteInt32(__d);");
                        break;
                    case DiscriminantKind.UInt32:
                        Line($"uint __d = (uint){member};");
                        Line("writer.WriteUInt32(__d);");
                        break;
                    default:
                        Line($"int __d = {member} ? 1 : 0;");
                        Line("writer.WriteBool(__d != 0);");
                        break;
                }
                EmitSwitch(arm => Encode(arm.Codec, "this." + arm.Name, _model.Name + "." + arm.Name));
            }

            // The constant as written (an enum name) goes in a comment when it differs from the number.
            private static string CaseLabel(CaseValue value)
            {
                string label = "case " + Literal(value.Value) + ":";
                return value.Display == Literal(value.Value) ? label : label + " // " + value.Display;
            }

            /// <summary>Listed arms, then void cases, then default arm / void / bad discriminant.</summary>
            private void EmitSwitch(System.Action<MemberModel> arm)
            {
                MemberModel? defaultArm = null;
                Line("switch (__d)");
                Open();
                foreach (MemberModel member in _model.Members)
                {
                    if (member.IsDefault) defaultArm = member;
                    if (member.Cases.Count == 0) continue;
                    foreach (CaseValue value in member.Cases) Line(CaseLabel(value));
                    _indent++;
                    arm(member);
                    Line("break;");
                    _indent--;
                }
                if (_model.VoidCases.Count > 0)
                {
                    foreach (CaseValue value in _model.VoidCases) Line(CaseLabel(value));
                    Line("    break;");
                }
                Line("default:");
                _indent++;
                if (defaultArm is not null) arm(defaultArm);
                else if (!_model.DefaultIsVoid) Line($"{Exception}.ThrowBadDiscriminant({Quote(_model.Name)}, __d);");
                Line("break;");
                _indent--;
                Close();
            }
        }
    }
}
