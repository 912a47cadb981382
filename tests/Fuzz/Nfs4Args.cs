using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.Attributes;

namespace DittoFs.Fuzz;

/// <summary>
/// nfs_argop4 encoders (RFC 8881 §18), as a Linux client sends them, for the harness and the seeds:
/// the server's own argument types (Protocol/Nfs4/Types) through their generated codecs.
/// </summary>
internal static class Nfs4Args
{
    public static readonly byte[] CurrentStateid = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static readonly byte[] AnonymousStateid = new byte[16];

    public static XdrBuilder Op(this XdrBuilder b, Nfs4Op op) => b.UInt32((uint)op);

    /// <summary>Sixteen bytes (as the harness keeps stateids) as a stateid4.</summary>
    public static Stateid4 ToStateid(byte[] bytes)
    {
        var r = new Xdr.XdrReader(bytes);
        return Stateid4.Decode(ref r);
    }

    public static SessionId4 ToSessionId(byte[] bytes)
    {
        var r = new Xdr.XdrReader(bytes);
        return SessionId4.Decode(ref r);
    }

    public static void ExchangeId(XdrBuilder b, string owner) => b.Op(Nfs4Op.ExchangeId).Write(new ExchangeId4Args
    {
        ClientOwner = new ClientOwner4 { Verifier = 1, OwnerId = Encoding.UTF8.GetBytes(owner) },
        Flags = Nfs4Const.ExchgIdSuppMovedRefer,
        StateProtect = new StateProtect4A { How = Nfs4Const.Sp4None },
        ClientImplId = [new NfsImplId4 { Domain = "kernel.org"u8.ToArray(), Name = "Linux 6.1.0 #1 SMP x86_64"u8.ToArray() }],
    });

    public static ChannelAttrs4 ChannelAttrs(uint maxOps, uint slots) => new()
    {
        HeaderPadSize = 0,
        MaxRequestSize = 1 << 20,
        MaxResponseSize = 1 << 20,
        MaxResponseSizeCached = 8192,
        MaxOperations = maxOps,
        MaxRequests = slots,
    };

    public static void CreateSession(XdrBuilder b, ulong clientId, uint seq) => b.Op(Nfs4Op.CreateSession).Write(new CreateSession4Args
    {
        ClientId = clientId,
        Sequence = seq,
        Flags = Nfs4Const.CreateSessionConnBackChan,
        ForeChanAttrs = ChannelAttrs(16, 4),
        BackChanAttrs = ChannelAttrs(2, 1),
        CbProgram = 0x40000000,
        SecParms = [new CallbackSecParms4 { Flavor = Nfs4Const.AuthSys, SysCred = new AuthSysParms { MachineName = "fuzz"u8.ToArray() } }],
    });

    public static void Sequence(XdrBuilder b, byte[] session, uint seq) =>
        b.Op(Nfs4Op.Sequence).Write(new Sequence4Args { SessionId = ToSessionId(session), SequenceId = seq, SlotId = 0, HighestSlotId = 0, CacheThis = false });

    /// <summary>A bitmap4 with the given attribute numbers (below 96).</summary>
    public static Bitmap4 Mask(params int[] attrs)
    {
        var mask = default(Bitmap4);
        foreach (int a in attrs)
        {
            if (a >= 96) throw new ArgumentOutOfRangeException(nameof(attrs), a, "Bitmap4 holds attributes 0..95");
            mask.Set(a);
        }
        return mask;
    }

    /// <summary>bitmap4 with the given attribute numbers.</summary>
    public static XdrBuilder Bitmap(this XdrBuilder b, params int[] attrs) => b.Write(Mask(attrs));

    /// <summary>fattr4 with mode (33) and, when given, size (4).</summary>
    public static Fattr4 ModeAttrs(uint mode, ulong? size = null)
    {
        var values = new XdrBuilder();
        if (size is { } s) values.UInt64(s);
        values.UInt32(mode);
        return new Fattr4 { AttrMask = size is null ? Mask(33) : Mask(4, 33), AttrVals = new(values.ToArray()) };
    }

    public static XdrBuilder Fattr(this XdrBuilder b, uint mode, ulong? size = null) => b.Write(ModeAttrs(mode, size));

    public static XdrBuilder Stateid(this XdrBuilder b, byte[] stateid) => b.Write(ToStateid(stateid));

    public static XdrBuilder GetAttr(this XdrBuilder b) =>
        b.Op(Nfs4Op.GetAttr).Write(new GetAttr4Args { AttrRequest = Mask(0, 1, 3, 4, 8, 20, 33, 35, 36, 37, 45, 47, 52, 53, 55) });

    public static XdrBuilder Lookup(this XdrBuilder b, string name) => b.Op(Nfs4Op.Lookup).Write(new Lookup4Args { ObjName = Encoding.UTF8.GetBytes(name) });

    public static XdrBuilder PutFh(this XdrBuilder b, byte[] handle) => b.Op(Nfs4Op.PutFh).Write(new PutFh4Args { Object = new NfsFh4 { Data = handle } });

    public static XdrBuilder OpenCreate(this XdrBuilder b, string name, ulong clientId = 0) => b.Op(Nfs4Op.Open).Write(new Open4Args
    {
        ShareAccess = Nfs4Const.ShareAccessBoth,
        Owner = new StateOwner4 { ClientId = clientId, Owner = "open-owner-1"u8.ToArray() },
        OpenHow = new OpenFlag4 { OpenType = Nfs4Const.OpenCreate, How = new CreateHow4 { Mode = Nfs4Const.Unchecked4, CreateAttrs = ModeAttrs(0x1a4) } },
        Claim = new OpenClaim4 { Claim = Nfs4Const.ClaimNull, File = Encoding.UTF8.GetBytes(name) },
    });

    public static XdrBuilder OpenNoCreate(this XdrBuilder b, string name) => b.Op(Nfs4Op.Open).Write(new Open4Args
    {
        ShareAccess = Nfs4Const.ShareAccessRead,
        Owner = new StateOwner4 { ClientId = 0, Owner = "open-owner-2"u8.ToArray() },
        OpenHow = new OpenFlag4 { OpenType = Nfs4Const.OpenNoCreate },
        Claim = new OpenClaim4 { Claim = Nfs4Const.ClaimNull, File = Encoding.UTF8.GetBytes(name) },
    });
}
