using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nlm;

// NLM version 4 (XNFS, Version 3W, chapter 10; Linux include/linux/lockd/xdr4.h, nlm_prot.x).
// netobj is opaque<MAXNETOBJ_SZ = 1024>; caller_name is string<LM_MAXSTRLEN = 1024>.

/// <summary>The procedure numbers of program 100021 version 4.</summary>
public enum NlmProcedure : uint
{
    Null = 0,
    Test = 1,
    Lock = 2,
    Cancel = 3,
    Unlock = 4,
    Granted = 5,
    TestMsg = 6,
    LockMsg = 7,
    CancelMsg = 8,
    UnlockMsg = 9,
    GrantedMsg = 10,
    TestRes = 11,
    LockRes = 12,
    CancelRes = 13,
    UnlockRes = 14,
    GrantedRes = 15,
    Share = 20,
    Unshare = 21,
    NmLock = 22,
    FreeAll = 23,
}

/// <summary>nlm4_stats.</summary>
public enum Nlm4Status : int
{
    Granted = 0,
    Denied = 1,
    DeniedNoLocks = 2,
    Blocked = 3,
    DeniedGracePeriod = 4,
    Deadlock = 5,
    ReadOnlyFs = 6,
    StaleFh = 7,
    FBig = 8,
    Failed = 9,
}

/// <summary>nlm4_lock: { string caller_name; netobj fh; netobj oh; int32 svid; uint64 l_offset; uint64 l_len; } (l_len 0: to the end).</summary>
[XdrType]
public partial struct Nlm4Lock
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> CallerName;
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Fh;
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Oh;
    public int Svid;
    public ulong Offset;
    public ulong Length;
}

/// <summary>nlm4_holder: { bool exclusive; int32 svid; netobj oh; uint64 l_offset; uint64 l_len; }.</summary>
[XdrType]
public partial struct Nlm4Holder
{
    public bool Exclusive;
    public int Svid;
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Oh;
    public ulong Offset;
    public ulong Length;
}

/// <summary>nlm4_testargs: { netobj cookie; bool exclusive; nlm4_lock alock; } (also NLM4_GRANTED's arguments).</summary>
[XdrType]
public partial struct Nlm4TestArgs
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public bool Exclusive;
    public Nlm4Lock Lock;
}

/// <summary>nlm4_testrply: union switch (nlm4_stats stat) { case NLM4_DENIED: nlm4_holder holder; default: void; }.</summary>
[XdrUnion(DefaultIsVoid = true)]
public partial struct Nlm4TestReply
{
    [XdrDiscriminant]
    public Nlm4Status Status;

    [XdrCase(Nlm4Status.Denied)]
    public Nlm4Holder Holder;
}

/// <summary>nlm4_testres: { netobj cookie; nlm4_testrply test_stat; }.</summary>
[XdrType]
public partial struct Nlm4TestRes
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public Nlm4TestReply Reply;
}

/// <summary>nlm4_lockargs: { netobj cookie; bool block; bool exclusive; nlm4_lock alock; bool reclaim; int state; }.</summary>
[XdrType]
public partial struct Nlm4LockArgs
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public bool Block;
    public bool Exclusive;
    public Nlm4Lock Lock;
    public bool Reclaim;
    public int State;
}

/// <summary>nlm4_cancargs: { netobj cookie; bool block; bool exclusive; nlm4_lock alock; }.</summary>
[XdrType]
public partial struct Nlm4CancelArgs
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public bool Block;
    public bool Exclusive;
    public Nlm4Lock Lock;
}

/// <summary>nlm4_unlockargs: { netobj cookie; nlm4_lock alock; }.</summary>
[XdrType]
public partial struct Nlm4UnlockArgs
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public Nlm4Lock Lock;
}

/// <summary>nlm4_res: { netobj cookie; nlm4_stat stat; } (the result of LOCK, CANCEL, UNLOCK, GRANTED; GRANTED_RES's argument).</summary>
[XdrType]
public partial struct Nlm4Res
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public Nlm4Status Status;
}

/// <summary>nlm4_share: { string caller_name; netobj fh; netobj oh; fsh4_mode mode; fsh4_access access; }.</summary>
[XdrType]
public partial struct Nlm4Share
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> CallerName;
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Fh;
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Oh;
    public uint Mode;
    public uint Access;
}

/// <summary>nlm4_shareargs: { netobj cookie; nlm4_share share; bool reclaim; }.</summary>
[XdrType]
public partial struct Nlm4ShareArgs
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public Nlm4Share Share;
    public bool Reclaim;
}

/// <summary>nlm4_shareres: { netobj cookie; nlm4_stats stat; int sequence; }.</summary>
[XdrType]
public partial struct Nlm4ShareRes
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> Cookie;
    public Nlm4Status Status;
    public int Sequence;
}

/// <summary>nlm4_notify (FREE_ALL): { string name&lt;LM_MAXNAMELEN&gt;; int32 state; }.</summary>
[XdrType]
public partial struct Nlm4Notify
{
    [XdrMaxLength(1025)]
    public ReadOnlyMemory<byte> Name;
    public int State;
}
