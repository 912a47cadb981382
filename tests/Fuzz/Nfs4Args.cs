using DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Fuzz;

/// <summary>nfs_argop4 encoders (RFC 8881 §18), as a Linux client sends them, for the harness and the seeds.</summary>
internal static class Nfs4Args
{
    public static readonly byte[] CurrentStateid = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static readonly byte[] AnonymousStateid = new byte[16];

    public static XdrBuilder Op(this XdrBuilder b, Nfs4Op op) => b.UInt32((uint)op);

    public static void ExchangeId(XdrBuilder b, string owner)
    {
        b.Op(Nfs4Op.ExchangeId).UInt64(1).String(owner);
        b.UInt32(0x1);          // EXCHGID4_FLAG_SUPP_MOVED_REFER
        b.UInt32(0);            // SP4_NONE
        b.UInt32(1).String("kernel.org").String("Linux 6.1.0 #1 SMP x86_64").UInt64(0).UInt32(0); // nfs_impl_id4
    }

    public static void ChannelAttrs(XdrBuilder b, uint maxOps, uint slots) =>
        b.UInt32(0).UInt32(1 << 20).UInt32(1 << 20).UInt32(8192).UInt32(maxOps).UInt32(slots).UInt32(0);

    public static void CreateSession(XdrBuilder b, ulong clientId, uint seq)
    {
        b.Op(Nfs4Op.CreateSession).UInt64(clientId).UInt32(seq).UInt32(0x2);
        ChannelAttrs(b, 16, 4);
        ChannelAttrs(b, 2, 1);
        b.UInt32(0x40000000).UInt32(1).UInt32(1); // cb_program, one sec parm: AUTH_SYS
        b.UInt32(0).String("fuzz").UInt32(0).UInt32(0).UInt32(0);
    }

    public static void Sequence(XdrBuilder b, byte[] session, uint seq) =>
        b.Op(Nfs4Op.Sequence).Raw(session).UInt32(seq).UInt32(0).UInt32(0).Bool(false);

    /// <summary>bitmap4 with the given attribute numbers.</summary>
    public static XdrBuilder Bitmap(this XdrBuilder b, params int[] attrs)
    {
        int words = attrs.Length == 0 ? 0 : attrs.Max() / 32 + 1;
        var w = new uint[words];
        foreach (int a in attrs) w[a / 32] |= 1u << (a % 32);
        b.UInt32((uint)words);
        foreach (uint x in w) b.UInt32(x);
        return b;
    }

    /// <summary>fattr4 with mode (33) and, when given, size (4).</summary>
    public static XdrBuilder Fattr(this XdrBuilder b, uint mode, ulong? size = null)
    {
        var values = new XdrBuilder();
        if (size is { } s)
        {
            values.UInt64(s);
            b.Bitmap(4, 33);
        }
        else b.Bitmap(33);
        values.UInt32(mode);
        return b.Opaque(values.ToArray());
    }

    public static XdrBuilder Stateid(this XdrBuilder b, byte[] stateid) => b.Raw(stateid);

    public static XdrBuilder GetAttr(this XdrBuilder b) => b.Op(Nfs4Op.GetAttr).Bitmap(0, 1, 3, 4, 8, 20, 33, 35, 36, 37, 45, 47, 52, 53, 55);

    public static XdrBuilder Lookup(this XdrBuilder b, string name) => b.Op(Nfs4Op.Lookup).String(name);

    public static XdrBuilder PutFh(this XdrBuilder b, byte[] handle) => b.Op(Nfs4Op.PutFh).Opaque(handle);

    public static XdrBuilder OpenCreate(this XdrBuilder b, string name, ulong clientId = 0)
    {
        b.Op(Nfs4Op.Open).UInt32(0).UInt32(Nfs4Const.ShareAccessBoth).UInt32(0);
        b.UInt64(clientId).String("open-owner-1");
        b.UInt32(Nfs4Const.OpenCreate).UInt32(Nfs4Const.Unchecked4).Fattr(0x1a4);
        return b.UInt32(Nfs4Const.ClaimNull).String(name);
    }

    public static XdrBuilder OpenNoCreate(this XdrBuilder b, string name)
    {
        b.Op(Nfs4Op.Open).UInt32(0).UInt32(1).UInt32(0);
        b.UInt64(0).String("open-owner-2");
        b.UInt32(Nfs4Const.OpenNoCreate);
        return b.UInt32(Nfs4Const.ClaimNull).String(name);
    }
}
