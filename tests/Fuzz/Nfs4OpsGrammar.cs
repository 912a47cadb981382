using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Fuzz;

/// <summary>
/// The operations of the <c>nfs4-ops</c> target and the pools their arguments come from (RFC 8881 §18).
/// Keeps what the server handed out (stateids, file handles, the slot's sequence id) from each reply, as a
/// client would, so a later COMPOUND of the same input can use it, stale or mutated.
/// </summary>
/// <summary>What one COMPOUND of the nfs4-ops target answered: its status and how many results the walker read.</summary>
internal sealed record CompoundOutcome(uint Status, int ResultsRead, string Summary);

internal sealed class Nfs4OpsGrammar(Nfs4Host host, Choices choices)
{
    private readonly Nfs4Host _host = host;
    private readonly Choices _c = choices;

    private static readonly byte[][] s_names =
    [
        .. new[] { "f0", "f1", "d0", "l0", "f2", "", ".", "..", "a/b", "é", "f0\0x", new string('n', 256), new string('m', 300) }.Select(Encoding.UTF8.GetBytes),
        [0xff, 0xfe], // not UTF-8
    ];

    private static readonly ulong[] s_offsets = [0, 1, 4095, 4096, 65536, 1 << 20, int.MaxValue, 1UL << 32, long.MaxValue, ulong.MaxValue, ulong.MaxValue - 1, ulong.MaxValue - 4095];
    private static readonly ulong[] s_lengths = [100, 0, 1, 4096, ulong.MaxValue, long.MaxValue, ulong.MaxValue - 1, 1UL << 32];
    private static readonly uint[] s_counts = [4096, 0, 1, 65536, 1 << 20, 1 << 24, int.MaxValue, uint.MaxValue];
    private static readonly ulong[] s_cookies = [0, 1, 2, 3, 512, ulong.MaxValue];
    private static readonly byte[] s_bypass = [.. Enumerable.Repeat((byte)0xff, 16)];

    /// <summary>
    /// The operations by selector. Order is part of the saved inputs' meaning: append, never reorder.
    /// Arguments go through the server's generated codecs, with the choices drawn in the order they were
    /// before (object initializers evaluate in textual order), so saved inputs make the same bytes. Only
    /// what the types refuse on purpose stays hand-written: PUTFH handles past NFS4_FHSIZE and bitmaps
    /// with a fourth word (GETATTR, READDIR).
    /// </summary>
    public static readonly (Nfs4Op Op, Action<Nfs4OpsGrammar, XdrBuilder> Args)[] Ops =
    [
        (Nfs4Op.PutRootFh, (_, _) => { }),
        (Nfs4Op.PutFh, (g, b) => b.Opaque(g.Handle())),
        (Nfs4Op.Lookup, (g, b) => b.Write(new Lookup4Args { ObjName = g.Name() })),
        (Nfs4Op.Open, (g, b) => g.Open(b)),
        (Nfs4Op.Write, (g, b) => b.Write(new Write4Args { Stateid = g.Sid(), Offset = g.Offset(), Stable = (uint)(g._c.Next() % 3), Data = new ReadOnlySequence<byte>(g.Data()) })),
        (Nfs4Op.Read, (g, b) => b.Write(new Read4Args { Stateid = g.Sid(), Offset = g.Offset(), Count = g.Count() })),
        (Nfs4Op.Close, (g, b) => b.Write(new Close4Args { Seqid = g.SeqId(), OpenStateid = g.Sid() })),
        (Nfs4Op.Lock, (g, b) => g.Lock(b)),
        (Nfs4Op.LockU, (g, b) => b.Write(new LockU4Args { LockType = g.LockType(), Seqid = g.SeqId(), LockStateid = g.Sid(), Offset = g.Offset(), Length = g.Length() })),
        (Nfs4Op.LockT, (g, b) => b.Write(new LockT4Args { LockType = g.LockType(), Offset = g.Offset(), Length = g.Length(), Owner = new StateOwner4 { ClientId = g.ClientId(), Owner = g.Owner() } })),
        (Nfs4Op.GetAttr, (g, b) => g.Bitmap(b)),
        (Nfs4Op.SetAttr, (g, b) => b.Write(new SetAttr4Args { Stateid = g.Sid(), ObjAttributes = g.Fattr() })),
        (Nfs4Op.GetFh, (_, _) => { }),
        (Nfs4Op.SaveFh, (_, _) => { }),
        (Nfs4Op.RestoreFh, (_, _) => { }),
        (Nfs4Op.ReadDir, (g, b) => g.Bitmap(b.UInt64(g._c.Pick(s_cookies)).UInt64(g._c.Pick(4) == 3 ? g._c.UInt64() : 0).UInt32(g.Count()).UInt32(g.Count()))),
        (Nfs4Op.Remove, (g, b) => b.Write(new Remove4Args { Target = g.Name() })),
        (Nfs4Op.Rename, (g, b) => b.Write(new Rename4Args { OldName = g.Name(), NewName = g.Name() })),
        (Nfs4Op.Create, (g, b) => g.Create(b)),
        (Nfs4Op.Link, (g, b) => b.Write(new Link4Args { NewName = g.Name() })),
        (Nfs4Op.LookupP, (_, _) => { }),
        (Nfs4Op.ReadLink, (_, _) => { }),
        (Nfs4Op.Commit, (g, b) => b.Write(new Commit4Args { Offset = g.Offset(), Count = g.Count() })),
        (Nfs4Op.OpenDowngrade, (g, b) => b.Write(new OpenDowngrade4Args { OpenStateid = g.Sid(), Seqid = g.SeqId(), ShareAccess = g.ShareAccess(), ShareDeny = g._c.Next() % 4u })),
        (Nfs4Op.Access, (g, b) => b.Write(new Access4Args { Access = g._c.Pick(4) == 0 ? 0x3fu : g._c.Next() })),
        (Nfs4Op.TestStateId, (g, b) => { var ids = new Stateid4[g._c.Pick(4)]; for (int i = 0; i < ids.Length; i++) ids[i] = g.Sid(); b.Write(new TestStateid4Args { Stateids = ids }); }),
        (Nfs4Op.FreeStateId, (g, b) => b.Write(new FreeStateid4Args { Stateid = g.Sid() })),
        (Nfs4Op.DelegReturn, (g, b) => b.Write(new DelegReturn4Args { DelegStateid = g.Sid() })),
        (Nfs4Op.Verify, (g, b) => b.Write(new Verify4Args { ObjAttributes = g.Fattr() })),
        (Nfs4Op.NVerify, (g, b) => b.Write(new Verify4Args { ObjAttributes = g.Fattr() })),
        (Nfs4Op.SecInfoNoName, (g, b) => b.Write(new SecInfoNoName4Args { Style = g._c.Next() % 3u })),
        (Nfs4Op.SecInfo, (g, b) => b.Write(new SecInfo4Args { Name = g.Name() })),
        (Nfs4Op.ReclaimComplete, (g, b) => b.Write(new ReclaimComplete4Args { OneFs = g._c.Next() % 2 == 1 })),
        (Nfs4Op.Sequence, (g, b) => b.Write(new Sequence4Args { SessionId = Nfs4Args.ToSessionId(g.Session()), SequenceId = g._host.SlotSeq + 1, SlotId = 0, HighestSlotId = 0, CacheThis = false })),
        (Nfs4Op.DestroySession, (g, b) => b.Write(new DestroySession4Args { SessionId = Nfs4Args.ToSessionId(g.Session()) })),
        (Nfs4Op.DestroyClientId, (g, b) => b.Write(new DestroyClientId4Args { ClientId = g.ClientId() })),
        (Nfs4Op.ReleaseLockOwner, (g, b) => b.Write(new StateOwner4 { ClientId = g.ClientId(), Owner = g.Owner() })),
        (Nfs4Op.ExchangeId, (g, _) => { }),
        (Nfs4Op.Illegal, (_, _) => { }),
    ];

    private readonly List<byte[]> _stateids = [];
    private readonly List<byte[]> _handles = [];
    private ulong _clientId; // from an EXCHANGE_ID of the input

    // --- argument pools ---

    private byte[] Name() => _c.Pick(8) == 7 ? _c.Bytes(_c.Pick(12)) : _c.Pick(s_names);

    private ulong Offset() => _c.Pick(8) == 7 ? _c.UInt64() : s_offsets[_c.Next() % s_offsets.Length];

    private ulong Length() => _c.Pick(8) == 7 ? _c.UInt64() : s_lengths[_c.Next() % s_lengths.Length];

    private uint Count() => _c.Pick(8) == 7 ? _c.UInt32() : s_counts[_c.Next() % s_counts.Length];

    private uint SeqId() => _c.Pick(4) switch { 0 => 0, 1 => 1, 2 => 2, _ => _c.UInt32() };

    private uint LockType() => 1 + _c.Next() % 4u; // READ_LT, WRITE_LT, READW_LT, WRITEW_LT

    private uint ShareAccess() => _c.Pick(4) switch { 0 => Nfs4Const.ShareAccessBoth, 1 => Nfs4Const.ShareAccessRead, 2 => Nfs4Const.ShareAccessWrite, _ => _c.UInt32() };

    private ulong ClientId() => _c.Pick(4) switch { 0 => _host.ClientId, 1 => _clientId, 2 => _host.ClientId + 1, _ => _c.UInt64() };

    private byte[] Owner() => _c.Pick(4) switch { 0 => "owner-a"u8.ToArray(), 1 => "owner-b"u8.ToArray(), 2 => [], _ => _c.Bytes(_c.Pick(8)) };

    private byte[] Data()
    {
        int length = _c.Pick([4096, 0, 1, 100, 8192, 65536]);
        byte fill = _c.Next();
        return [.. Enumerable.Repeat(fill, length)];
    }

    /// <summary>The current stateid, one handed out earlier (as is, or with its seqid moved), the special ones, or bytes.</summary>
    private byte[] Stateid()
    {
        switch (_c.Pick(8))
        {
            case 0: return Nfs4Args.CurrentStateid;
            case 1: return _stateids.Count > 0 ? _stateids[^1] : Nfs4Args.CurrentStateid;
            case 2: return Nfs4Args.AnonymousStateid;
            case 3: return s_bypass;
            case 4:
            case 5:
                {
                    if (_stateids.Count == 0) return Nfs4Args.AnonymousStateid;
                    byte[] s = [.. _stateids[_c.Next() % _stateids.Count]];
                    if (_c.Pick(2) == 1)
                    {
                        uint seq = (uint)(s[0] << 24 | s[1] << 16 | s[2] << 8 | s[3]);
                        seq = _c.Pick(4) switch { 0 => seq + 1, 1 => seq - 1, 2 => 0, _ => uint.MaxValue };
                        s[0] = (byte)(seq >> 24); s[1] = (byte)(seq >> 16); s[2] = (byte)(seq >> 8); s[3] = (byte)seq;
                    }
                    else s[4 + _c.Pick(12)] ^= 1;
                    return s;
                }
            default: return _c.Bytes(16);
        }
    }

    private Stateid4 Sid() => Nfs4Args.ToStateid(Stateid());

    /// <summary>The export root, a handle GETFH returned, one with a byte flipped, or bytes.</summary>
    private byte[] Handle()
    {
        switch (_c.Pick(4))
        {
            case 0: return _host.ExportRootHandle;
            case 1: return _handles.Count > 0 ? _handles[_c.Next() % _handles.Count] : _host.ExportRootHandle;
            case 2:
                {
                    byte[] h = [.. _handles.Count > 0 ? _handles[_c.Next() % _handles.Count] : _host.ExportRootHandle];
                    h[_c.Next() % h.Length] ^= (byte)(1 + _c.Next() % 255);
                    return h;
                }
            default: return _c.Bytes(_c.Pick([20, 0, 8, 128, 129]));
        }
    }

    private byte[] Session()
    {
        byte[] s = [.. _host.SessionId];
        if (_c.Pick(4) == 3) s[_c.Pick(16)] ^= 1;
        return s;
    }

    /// <summary>bitmap4: the usual GETATTR set, nothing, one attribute, words past what exists, or bytes.</summary>
    private void Bitmap(XdrBuilder b)
    {
        switch (_c.Pick(4))
        {
            case 0: b.Bitmap(0, 1, 3, 4, 8, 20, 33, 35, 36, 37, 45, 47, 52, 53, 55); break;
            case 1: b.Bitmap(); break;
            case 2: b.Bitmap(_c.Next() % 80); break;
            default:
                {
                    int words = _c.Pick(5);
                    b.UInt32((uint)words);
                    for (int i = 0; i < words; i++) b.UInt32(_c.UInt32());
                    break;
                }
        }
    }

    /// <summary>fattr4 with some of the settable attributes (size, mode, owner, owner_group, times), or a mask and values from bytes.</summary>
    private Fattr4 Fattr()
    {
        int set = _c.Next();
        if (set >= 0xF0)
        {
            return new Fattr4 { AttrMask = Nfs4Args.Mask(_c.Next() % 80), AttrVals = new ReadOnlySequence<byte>(_c.Bytes(_c.Pick(16))) };
        }
        var attrs = new List<int>();
        var values = new XdrBuilder();
        if ((set & 1) != 0) { attrs.Add(4); values.UInt64(Offset()); }
        if ((set & 2) == 0 || set == 0) { attrs.Add(33); values.UInt32(_c.Pick(4) switch { 0 => 0x1a4u, 1 => 0xfffu, 2 => 0, _ => _c.UInt32() }); }
        if ((set & 4) != 0) { attrs.Add(36); values.String(_c.Pick(["1000", "0", "nobody", "root@localdomain", "", "4294967296", "-1"])); }
        if ((set & 8) != 0) { attrs.Add(37); values.String(_c.Pick(["1000", "0", "nogroup", "x@y"])); }
        if ((set & 16) != 0) { attrs.Add(48); TimeSet(values); }
        if ((set & 32) != 0) { attrs.Add(54); TimeSet(values); }
        return new Fattr4 { AttrMask = Nfs4Args.Mask([.. attrs]), AttrVals = new ReadOnlySequence<byte>(values.ToArray()) };
    }

    private void TimeSet(XdrBuilder values)
    {
        uint how = _c.Next() % 3u; // SET_TO_SERVER_TIME4, SET_TO_CLIENT_TIME4, out of range
        values.UInt32(how);
        if (how != 0) values.UInt64(_c.Pick(4) == 0 ? 1_700_000_000UL : _c.UInt64()).UInt32(_c.Pick(4) == 0 ? 5 : _c.UInt32());
    }

    // --- operations with a shape of their own ---

    private void Open(XdrBuilder b)
    {
        var args = new Open4Args
        {
            Seqid = SeqId(),
            ShareAccess = ShareAccess() | (_c.Pick(8) == 7 ? 0x0100u * (_c.Next() % 6u) : 0),
            ShareDeny = _c.Next() % 4u,
            Owner = new StateOwner4 { ClientId = ClientId(), Owner = Owner() },
        };
        if (_c.Pick(4) == 3) args.OpenHow = new OpenFlag4 { OpenType = Nfs4Const.OpenNoCreate };
        else
        {
            var how = new CreateHow4 { Mode = _c.Next() % 4u };
            if (how.Mode is Nfs4Const.Unchecked4 or Nfs4Const.Guarded4) how.CreateAttrs = Fattr();
            else if (how.Mode == Nfs4Const.Exclusive4) how.CreateVerf = _c.UInt64();
            else how.CreateBoth = new CreatVerfAttr { Verf = _c.UInt64(), Attrs = Fattr() };
            args.OpenHow = new OpenFlag4 { OpenType = Nfs4Const.OpenCreate, How = how };
        }
        // Claims past CLAIM_DELEG_PREV_FH are void arms: just the number, as before.
        var claim = new OpenClaim4 { Claim = _c.Pick(8) switch { < 5 => Nfs4Const.ClaimNull, 5 => Nfs4Const.ClaimFh, 6 => Nfs4Const.ClaimPrevious, _ => _c.Next() % 8u } };
        switch (claim.Claim)
        {
            case Nfs4Const.ClaimNull or Nfs4Const.ClaimDelegatePrev: claim.File = Name(); break;
            case Nfs4Const.ClaimPrevious: claim.DelegateType = _c.Next() % 4u; break;
            case Nfs4Const.ClaimDelegateCur: claim.DelegateCurInfo = new OpenClaimDelegateCur4 { DelegateStateid = Sid(), File = Name() }; break;
            case Nfs4Const.ClaimDelegCurFh: claim.DelegateStateid = Sid(); break;
            default: break; // CLAIM_FH, CLAIM_DELEG_PREV_FH: nothing
        }
        args.Claim = claim;
        b.Write(args);
    }

    private void Lock(XdrBuilder b)
    {
        var args = new Lock4Args { LockType = LockType(), Reclaim = _c.Pick(8) == 7, Offset = Offset(), Length = Length() };
        args.Locker = _c.Pick(4) != 3
            // open_to_lock_owner4: the open's seqid and stateid, the new lock owner's seqid and name.
            ? new Locker4 { NewLockOwner = true, OpenOwner = new OpenToLockOwner4 { OpenSeqid = SeqId(), OpenStateid = Sid(), LockSeqid = SeqId(), LockOwner = new StateOwner4 { ClientId = ClientId(), Owner = Owner() } } }
            : new Locker4 { NewLockOwner = false, LockOwner = new ExistLockOwner4 { LockStateid = Sid(), LockSeqid = SeqId() } };
        b.Write(args);
    }

    private void Create(XdrBuilder b)
    {
        // Types past NF4FIFO (and NF4REG) are void arms: just the number, as before.
        var type = new CreateType4 { Type = _c.Pick(8) switch { 0 => Nfs4Const.Nf4Dir, 1 => Nfs4Const.Nf4Lnk, 2 => Nfs4Const.Nf4Blk, 3 => Nfs4Const.Nf4Chr, 4 => Nfs4Const.Nf4Sock, 5 => Nfs4Const.Nf4Fifo, 6 => Nfs4Const.Nf4Reg, _ => _c.Next() } };
        if (type.Type == Nfs4Const.Nf4Lnk) type.LinkData = _c.Pick(2) == 0 ? "f0"u8.ToArray() : Name();
        else if (type.Type is Nfs4Const.Nf4Blk or Nfs4Const.Nf4Chr) type.DevData = new SpecData4 { SpecData1 = _c.Next(), SpecData2 = _c.Next() };
        b.Write(new Create4Args { ObjType = type, ObjName = _c.Pick(4) == 0 ? "d0"u8.ToArray() : Name(), CreateAttrs = Fattr() });
    }

    // --- running a COMPOUND and reading what the server handed out ---

    /// <summary>SEQUENCE (per the next choice) and the selected operations as one COMPOUND.</summary>
    public CompoundOutcome RunCompound(ReadOnlySpan<byte> selectors)
    {
        var ops = new List<Nfs4Op>();
        var body = new XdrBuilder();
        uint seq = _host.SlotSeq + 1;
        int sequenceMode = _c.Pick(16);
        bool sequenced = sequenceMode != 15;
        if (sequenced)
        {
            uint slot = 0;
            uint useSeq = seq;
            switch (sequenceMode)
            {
                case 12: useSeq = _host.SlotSeq; break;      // a retry: the reply cache answers
                case 13: useSeq = seq + 1; break;           // misordered
                case 14: slot = 1 + _c.Next() % 4u; useSeq = 1; break; // another slot (past the highest: BADSLOT)
            }
            body.Op(Nfs4Op.Sequence).Write(new Sequence4Args { SessionId = Nfs4Args.ToSessionId(_host.SessionId), SequenceId = useSeq, SlotId = slot, HighestSlotId = slot, CacheThis = _c.Pick(8) == 7 });
            ops.Add(Nfs4Op.Sequence);
            if (slot != 0 || useSeq != seq) seq = _host.SlotSeq; // slot 0 does not move on
        }
        foreach (byte s in selectors)
        {
            var (op, args) = Ops[s % Ops.Length];
            if (op == Nfs4Op.ExchangeId) Nfs4Args.ExchangeId(body, _c.Pick(2) == 0 ? "fuzz-1" : "fuzz-other");
            else
            {
                body.Op(op);
                args(this, body);
            }
            ops.Add(op);
        }
        var compound = new XdrBuilder();
        compound.UInt32(0).UInt32(1).UInt32((uint)ops.Count).Raw(body.ToArray());
        byte[] reply = _host.Run(_host.Call(compound.ToArray()));
        return Absorb(reply, ops, sequenced, seq);
    }

    /// <summary>
    /// Walks the results as far as it can read them (an OK result of a known shape; the failed one is the
    /// last), keeping stateids and handles, and moves slot 0 on, or starts a new session if this one is gone.
    /// </summary>
    private CompoundOutcome Absorb(byte[] reply, List<Nfs4Op> ops, bool sequenced, uint seq)
    {
        var r = new ReplyReader(reply);
        bool ok = r.CompoundOk(out uint status);
        bool sessionGone = false;
        int read = 0;
        try
        {
            for (; read < ops.Count && r.Has(8); read++)
            {
                var op = (Nfs4Op)r.UInt32();
                uint opStatus = r.UInt32();
                if (op == Nfs4Op.Sequence && read == 0 && sequenced)
                {
                    if (opStatus == 0) _host.SlotSeq = seq;
                    else if (opStatus is 10052 or 10053) sessionGone = true; // BADSESSION, DEADSESSION
                }
                if (op == Nfs4Op.DestroySession && opStatus == 0) sessionGone = true;
                if (op == Nfs4Op.SetAttr) SkipBitmap(ref r);
                if (opStatus != 0 || !Skip(ref r, op)) break;
            }
        }
        catch (FuzzFindingException)
        {
            // A reply shorter than its shape: the COMPOUND status and count are checked by the server's own tests; stop reading here.
        }
        if (sessionGone) _host.Establish();
        return new CompoundOutcome(status, read, $"{string.Join(",", ops)} -> {status}{(ok ? "" : " (failed)")}, {read} results read");
    }

    private static void SkipOpaque(ref ReplyReader r) => r.Skip((int)((r.UInt32() + 3) & ~3u));

    private static void SkipBitmap(ref ReplyReader r) => r.Skip(4 * (int)Math.Min(r.UInt32(), 1024));

    /// <summary>Skips an OK result, keeping what a later COMPOUND may use; false for a shape this walker does not read.</summary>
    private bool Skip(ref ReplyReader r, Nfs4Op op)
    {
        switch (op)
        {
            case Nfs4Op.Sequence: r.Skip(36); return true;
            case Nfs4Op.PutFh or Nfs4Op.PutRootFh or Nfs4Op.Lookup or Nfs4Op.LookupP or Nfs4Op.SaveFh or Nfs4Op.RestoreFh
                or Nfs4Op.ReclaimComplete or Nfs4Op.DestroySession or Nfs4Op.DestroyClientId or Nfs4Op.FreeStateId
                or Nfs4Op.DelegReturn or Nfs4Op.Verify or Nfs4Op.NVerify or Nfs4Op.LockT or Nfs4Op.SetAttr or Nfs4Op.ReleaseLockOwner:
                return true;
            case Nfs4Op.GetFh:
                {
                    uint length = r.UInt32();
                    if (length > Nfs4Const.FhSize) return false;
                    byte[] handle = r.Bytes((int)length);
                    r.Skip((int)((4 - (length & 3)) & 3));
                    if (_handles.Count < 16) _handles.Add(handle);
                    return true;
                }
            case Nfs4Op.GetAttr: SkipBitmap(ref r); SkipOpaque(ref r); return true;
            case Nfs4Op.Access: r.Skip(8); return true;
            case Nfs4Op.Open:
                {
                    KeepStateid(ref r);
                    r.Skip(20 + 4);
                    SkipBitmap(ref r);
                    uint delegation = r.UInt32();
                    if (delegation == 3 && r.UInt32() is 7 or 8) r.Skip(4); // OPEN_DELEGATE_NONE_EXT, WND4_CONTENTION/RESOURCE
                    return delegation is 0 or 3;
                }
            case Nfs4Op.Close or Nfs4Op.OpenDowngrade or Nfs4Op.Lock or Nfs4Op.LockU: KeepStateid(ref r); return true;
            case Nfs4Op.Read: r.Skip(4); SkipOpaque(ref r); return true;
            case Nfs4Op.Write: r.Skip(16); return true;
            case Nfs4Op.Commit: r.Skip(8); return true;
            case Nfs4Op.Create: r.Skip(20); SkipBitmap(ref r); return true;
            case Nfs4Op.Remove or Nfs4Op.Link: r.Skip(20); return true;
            case Nfs4Op.Rename: r.Skip(40); return true;
            case Nfs4Op.ReadLink: SkipOpaque(ref r); return true;
            case Nfs4Op.TestStateId: r.Skip(4 * (int)Math.Min(r.UInt32(), 1024)); return true;
            case Nfs4Op.ReadDir:
                r.Skip(8);
                while (r.UInt32() != 0)
                {
                    r.Skip(8);
                    SkipOpaque(ref r);
                    SkipBitmap(ref r);
                    SkipOpaque(ref r);
                }
                r.Skip(4);
                return true;
            case Nfs4Op.ExchangeId:
                _clientId = r.UInt64();
                return false;
            default: return false;
        }
    }

    private void KeepStateid(ref ReplyReader r)
    {
        byte[] stateid = r.Bytes(16);
        if (_stateids.Count >= 16) _stateids.RemoveAt(0);
        _stateids.Add(stateid);
    }
}
