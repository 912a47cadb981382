namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §15.1 nfsstat4 (the values this server answers, and a few it only names).
public enum Nfs4Status : int
{
    Ok = 0,
    Perm = 1,
    NoEnt = 2,
    Io = 5,
    NxIo = 6,
    Access = 13,
    Exist = 17,
    XDev = 18,
    NotDir = 20,
    IsDir = 21,
    Inval = 22,
    FBig = 27,
    NoSpc = 28,
    RoFs = 30,
    MLink = 31,
    NameTooLong = 63,
    NotEmpty = 66,
    DQuot = 69,
    Stale = 70,
    BadHandle = 10001,
    BadCookie = 10003,
    NotSupp = 10004,
    TooSmall = 10005,
    ServerFault = 10006,
    BadType = 10007,
    Delay = 10008,
    Same = 10009,
    Denied = 10010,
    Expired = 10011,
    Locked = 10012,
    Grace = 10013,
    FhExpired = 10014,
    ShareDenied = 10015,
    WrongSec = 10016,
    ClidInUse = 10017,
    Resource = 10018,
    Moved = 10019,
    NoFileHandle = 10020,
    MinorVersMismatch = 10021,
    StaleClientId = 10022,
    StaleStateId = 10023,
    OldStateId = 10024,
    BadStateId = 10025,
    BadSeqId = 10026,
    NotSame = 10027,
    LockRange = 10028,
    Symlink = 10029,
    RestoreFh = 10030,
    LeaseMoved = 10031,
    AttrNotSupp = 10032,
    NoGrace = 10033,
    ReclaimBad = 10034,
    ReclaimConflict = 10035,
    BadXdr = 10036,
    LocksHeld = 10037,
    OpenMode = 10038,
    BadOwner = 10039,
    BadChar = 10040,
    BadName = 10041,
    BadRange = 10042,
    LockNotSupp = 10043,
    OpIllegal = 10044,
    Deadlock = 10045,
    FileOpen = 10046,
    AdminRevoked = 10047,
    CbPathDown = 10048,
    BadSession = 10052,
    BadSlot = 10053,
    CompleteAlready = 10054,
    ConnNotBoundToSession = 10055,
    SeqMisordered = 10063,
    SequencePos = 10064,
    ReqTooBig = 10065,
    RepTooBig = 10066,
    RepTooBigToCache = 10067,
    RetryUncachedRep = 10068,
    TooManyOps = 10070,
    OpNotInSession = 10071,
    ClientIdBusy = 10074,
    SeqFalseRetry = 10076,
    BadHighSlot = 10077,
    DeadSession = 10078,
    EncrAlgUnsupp = 10079,
    NotOnlyOp = 10081,
    WrongCred = 10082,
    WrongType = 10083,
    DelegAlreadyWanted = 10086,
    DelegRevoked = 10087,
    // RFC 7862 §11.1 (NFSv4.2), RFC 8276 §8.4.1 (xattrs)
    PartnerNotSupp = 10088,
    PartnerNoAuth = 10089,
    UnionNotSupp = 10090,
    OffloadDenied = 10091,
    WrongLfs = 10092,
    BadLabel = 10093,
    OffloadNoReqs = 10094,
    NoXattr = 10095,
    Xattr2Big = 10096,
}

// RFC 8881 §16.2.1 nfs_opnum4 (minor version 1: 3..58, and OP_ILLEGAL); RFC 7862 / 8276 add 59..75 for minor version 2.
public enum Nfs4Op : uint
{
    Access = 3,
    Close = 4,
    Commit = 5,
    Create = 6,
    DelegPurge = 7,
    DelegReturn = 8,
    GetAttr = 9,
    GetFh = 10,
    Link = 11,
    Lock = 12,
    LockT = 13,
    LockU = 14,
    Lookup = 15,
    LookupP = 16,
    NVerify = 17,
    Open = 18,
    OpenAttr = 19,
    OpenConfirm = 20,
    OpenDowngrade = 21,
    PutFh = 22,
    PutPubFh = 23,
    PutRootFh = 24,
    Read = 25,
    ReadDir = 26,
    ReadLink = 27,
    Remove = 28,
    Rename = 29,
    Renew = 30,
    RestoreFh = 31,
    SaveFh = 32,
    SecInfo = 33,
    SetAttr = 34,
    SetClientId = 35,
    SetClientIdConfirm = 36,
    Verify = 37,
    Write = 38,
    ReleaseLockOwner = 39,
    BackchannelCtl = 40,
    BindConnToSession = 41,
    ExchangeId = 42,
    CreateSession = 43,
    DestroySession = 44,
    FreeStateId = 45,
    GetDirDelegation = 46,
    GetDeviceInfo = 47,
    GetDeviceList = 48,
    LayoutCommit = 49,
    LayoutGet = 50,
    LayoutReturn = 51,
    SecInfoNoName = 52,
    Sequence = 53,
    SetSsv = 54,
    TestStateId = 55,
    WantDelegation = 56,
    DestroyClientId = 57,
    ReclaimComplete = 58,
    // Minor version 2: RFC 7862 §16.1 (59-71), RFC 8276 §8.4 (72-75)
    Allocate = 59,
    Copy = 60,
    CopyNotify = 61,
    Deallocate = 62,
    IoAdvise = 63,
    LayoutError = 64,
    LayoutStats = 65,
    OffloadCancel = 66,
    OffloadStatus = 67,
    ReadPlus = 68,
    Seek = 69,
    WriteSame = 70,
    Clone = 71,
    GetXattr = 72,
    SetXattr = 73,
    ListXattrs = 74,
    RemoveXattr = 75,
    Illegal = 10044,
}

/// <summary>Wire constants of RFC 8881 used by several operations.</summary>
internal static class Nfs4Const
{
    public const uint Program = 100003;
    public const uint ProcNull = 0;
    public const uint ProcCompound = 1;

    // The minor versions served: 1 (RFC 8881) and 2 (RFC 7862), on the same clients and sessions.
    public const uint MinorVersion1 = 1, MinorVersion2 = 2;

    // ACCESS4 bits of RFC 8276 §8.3 (minor version 2): extended attributes read, write, list.
    public const uint Access4XaRead = 0x40, Access4XaWrite = 0x80, Access4XaList = 0x100;

    // data_content4 (RFC 7862 §11.2): SEEK's sa_what, READ_PLUS's segments
    public const uint ContentData = 0, ContentHole = 1;

    // setxattr_option4 (RFC 8276 §8.4.2.1)
    public const uint SetXattr4Either = 0, SetXattr4Create = 1, SetXattr4Replace = 2;

    public const int FhSize = 128;          // NFS4_FHSIZE
    public const int OpaqueLimit = 1024;    // NFS4_OPAQUE_LIMIT
    public const int SessionIdSize = 16;    // NFS4_SESSIONID_SIZE
    public const int VerifierSize = 8;      // NFS4_VERIFIER_SIZE
    public const int MaxTag = 1024;

    // nfs_ftype4
    public const uint Nf4Reg = 1, Nf4Dir = 2, Nf4Blk = 3, Nf4Chr = 4, Nf4Lnk = 5, Nf4Sock = 6, Nf4Fifo = 7;

    // EXCHANGE_ID flags (§18.35)
    public const uint ExchgIdSuppMovedRefer = 0x1;
    public const uint ExchgIdSuppMovedMigr = 0x2;
    public const uint ExchgIdBindPrincStateid = 0x100;
    public const uint ExchgIdUseNonPnfs = 0x10000;
    public const uint ExchgIdUsePnfsMds = 0x20000;
    public const uint ExchgIdUsePnfsDs = 0x40000;
    public const uint ExchgIdUpdConfirmedRecA = 0x40000000;
    public const uint ExchgIdConfirmedR = 0x80000000;

    // CREATE_SESSION flags
    public const uint CreateSessionPersist = 0x1;
    public const uint CreateSessionConnBackChan = 0x2;
    public const uint CreateSessionConnRdma = 0x4;

    // share_access / share_deny
    public const uint ShareAccessRead = 1, ShareAccessWrite = 2, ShareAccessBoth = 3;
    public const uint ShareAccessWantMask = 0xFF00;
    public const uint ShareAccessWantNoPreference = 0x0000, ShareAccessWantReadDeleg = 0x0100, ShareAccessWantWriteDeleg = 0x0200,
        ShareAccessWantAnyDeleg = 0x0300, ShareAccessWantNoDeleg = 0x0400, ShareAccessWantCancel = 0x0500;

    // open_delegation_type4, why_no_delegation4 (§18.16)
    public const uint OpenDelegateNone = 0, OpenDelegateRead = 1, OpenDelegateWrite = 2, OpenDelegateNoneExt = 3;
    public const uint Wnd4NotWanted = 0, Wnd4Contention = 1, Wnd4Resource = 2, Wnd4NotSuppFtype = 3, Wnd4WriteDelegNotSuppFtype = 4,
        Wnd4NotSuppUpgrade = 5, Wnd4NotSuppDowngrade = 6, Wnd4Cancelled = 7, Wnd4IsDir = 8;

    // sr_status_flags of SEQUENCE (§18.46.3)
    public const uint Seq4StatusCbPathDown = 0x1, Seq4StatusRecallableStateRevoked = 0x40, Seq4StatusCbPathDownSession = 0x200;

    // Callback program (§20): procedures and the operations we send
    public const uint CbProcNull = 0, CbProcCompound = 1;
    public const uint OpCbGetAttr = 3, OpCbRecall = 4, OpCbSequence = 11, OpCbOffload = 15;

    // netloc_type4 (RFC 7862 §4.6)
    public const uint Nl4Name = 1, Nl4Url = 2, Nl4NetAddr = 3;

    /// <summary>The first operation of minor version 2 (RFC 7862): ALLOCATE.</summary>
    public const uint FirstMinor2Op = 59;

    // opentype4, createmode4, open_claim_type4
    public const uint OpenNoCreate = 0, OpenCreate = 1;
    public const uint Unchecked4 = 0, Guarded4 = 1, Exclusive4 = 2, Exclusive4_1 = 3;
    public const uint ClaimNull = 0, ClaimPrevious = 1, ClaimDelegateCur = 2, ClaimDelegatePrev = 3, ClaimFh = 4, ClaimDelegCurFh = 5, ClaimDelegPrevFh = 6;

    // OPEN4 result flags
    public const uint OpenResultConfirm = 0x2, OpenResultLocktypePosix = 0x4, OpenResultPreserveUnlinked = 0x8, OpenResultMayNotify = 0x20;

    // nfs_lock_type4
    public const uint ReadLt = 1, WriteLt = 2, ReadwLt = 3, WritewLt = 4;

    // stable_how4
    public const uint Unstable4 = 0, DataSync4 = 1, FileSync4 = 2;

    // channel_dir_from_client4 / _from_server4
    public const uint CdfcFore = 1, CdfcBack = 2, CdfcForeOrBoth = 3, CdfcBackOrBoth = 7;
    public const uint CdfsFore = 1, CdfsBack = 2, CdfsBoth = 3;

    // SECINFO_NO_NAME styles
    public const uint SecInfoStyleCurrentFh = 0, SecInfoStyleParent = 1;

    // state_protect_how4
    public const uint Sp4None = 0, Sp4MachCred = 1, Sp4Ssv = 2;

    public const uint AuthNone = 0, AuthSys = 1, RpcSecGss = 6;
}
