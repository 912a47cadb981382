using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.10 LOCK, §18.11 LOCKT, §18.12 LOCKU, §18.38 FREE_STATEID, §18.48 TEST_STATEID.

// RFC 8881 §18.10.1 open_to_lock_owner4:
//   struct open_to_lock_owner4 { seqid4 open_seqid; stateid4 open_stateid; seqid4 lock_seqid; lock_owner4 lock_owner; };
[XdrType]
internal partial struct OpenToLockOwner4
{
    public uint OpenSeqid;
    public Stateid4 OpenStateid;
    public uint LockSeqid;
    public StateOwner4 LockOwner;
}

// RFC 8881 §18.10.1 exist_lock_owner4: struct exist_lock_owner4 { stateid4 lock_stateid; seqid4 lock_seqid; };
[XdrType]
internal partial struct ExistLockOwner4
{
    public Stateid4 LockStateid;
    public uint LockSeqid;
}

// RFC 8881 §18.10.1 locker4:
//   union locker4 switch (bool new_lock_owner) { case TRUE: open_to_lock_owner4 open_owner; case FALSE: exist_lock_owner4 lock_owner; };
[XdrUnion]
internal partial struct Locker4
{
    [XdrDiscriminant]
    public bool NewLockOwner;

    [XdrCase(true)]
    public OpenToLockOwner4 OpenOwner;

    [XdrCase(false)]
    public ExistLockOwner4 LockOwner;
}

// RFC 8881 §18.10.1 LOCK4args:
//   struct LOCK4args { nfs_lock_type4 locktype; bool reclaim; offset4 offset; length4 length; locker4 locker; };
// nfs_lock_type4 stays a uint: an unknown type is the handler's INVAL.
[XdrType]
internal partial struct Lock4Args
{
    public uint LockType;
    public bool Reclaim;
    public ulong Offset;
    public ulong Length;
    public Locker4 Locker;
}

// RFC 8881 §18.10.2 LOCK4denied:
//   struct LOCK4denied { offset4 offset; length4 length; nfs_lock_type4 locktype; lock_owner4 owner; };
[XdrType]
internal partial struct Lock4Denied
{
    public ulong Offset;
    public ulong Length;
    public uint LockType;
    public StateOwner4 Owner;
}

// RFC 8881 §18.11.1 LOCKT4args: struct LOCKT4args { nfs_lock_type4 locktype; offset4 offset; length4 length; lock_owner4 owner; };
[XdrType]
internal partial struct LockT4Args
{
    public uint LockType;
    public ulong Offset;
    public ulong Length;
    public StateOwner4 Owner;
}

// RFC 8881 §18.12.1 LOCKU4args:
//   struct LOCKU4args { nfs_lock_type4 locktype; seqid4 seqid; stateid4 lock_stateid; offset4 offset; length4 length; };
[XdrType]
internal partial struct LockU4Args
{
    public uint LockType;
    public uint Seqid;
    public Stateid4 LockStateid;
    public ulong Offset;
    public ulong Length;
}

// RFC 8881 §18.38.1 FREE_STATEID4args: struct FREE_STATEID4args { stateid4 fsa_stateid; };
[XdrType]
internal partial struct FreeStateid4Args
{
    public Stateid4 Stateid;
}

// RFC 8881 §18.48.1 TEST_STATEID4args: struct TEST_STATEID4args { stateid4 ts_stateids<>; };
[XdrType]
internal partial struct TestStateid4Args
{
    [XdrMaxLength(Nfs4Limits.MaxStateids)]
    public Stateid4[] Stateids;
}

// RFC 8881 §18.48.2 TEST_STATEID4resok: struct TEST_STATEID4resok { nfsstat4 tsr_status_codes<>; };
[XdrType]
internal partial struct TestStateid4ResOk
{
    [XdrMaxLength(Nfs4Limits.MaxStateids)]
    public Nfs4Status[] StatusCodes;
}
