using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.16 OPEN, §18.18 OPEN_DOWNGRADE, §18.2 CLOSE, §18.6 DELEGRETURN.

// RFC 8881 §18.16.1 creatverfattr: struct creatverfattr { verifier4 cva_verf; fattr4 cva_attrs; };
[XdrType]
internal partial struct CreatVerfAttr
{
    public ulong Verf;
    public Fattr4 Attrs;
}

// RFC 8881 §18.16.1 createhow4:
//   union createhow4 switch (createmode4 mode) {
//     case UNCHECKED4: case GUARDED4: fattr4 createattrs;
//     case EXCLUSIVE4: verifier4 createverf;
//     case EXCLUSIVE4_1: creatverfattr ch_createboth; };
// Another mode decodes as void: the handler answers INVAL.
[XdrUnion(DefaultIsVoid = true)]
internal partial struct CreateHow4
{
    [XdrDiscriminant]
    public uint Mode;

    [XdrCase(Nfs4Const.Unchecked4, Nfs4Const.Guarded4)]
    public Fattr4 CreateAttrs;

    [XdrCase(Nfs4Const.Exclusive4)]
    public ulong CreateVerf;

    [XdrCase(Nfs4Const.Exclusive4_1)]
    public CreatVerfAttr CreateBoth;
}

// RFC 8881 §18.16.1 openflag4: union openflag4 switch (opentype4 opentype) { case OPEN4_CREATE: createhow4 how; default: void; };
[XdrUnion(DefaultIsVoid = true)]
internal partial struct OpenFlag4
{
    [XdrDiscriminant]
    public uint OpenType;

    [XdrCase(Nfs4Const.OpenCreate)]
    public CreateHow4 How;
}

// RFC 8881 §18.16.1 open_claim_delegate_cur4: struct open_claim_delegate_cur4 { stateid4 delegate_stateid; component4 file; };
[XdrType]
internal partial struct OpenClaimDelegateCur4
{
    public Stateid4 DelegateStateid;

    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> File;
}

// RFC 8881 §18.16.1 open_claim4:
//   union open_claim4 switch (open_claim_type4 claim) {
//     case CLAIM_NULL: component4 file;
//     case CLAIM_PREVIOUS: open_delegation_type4 delegate_type;
//     case CLAIM_DELEGATE_CUR: open_claim_delegate_cur4 delegate_cur_info;
//     case CLAIM_DELEGATE_PREV: component4 file_delegate_prev;
//     case CLAIM_FH: void;
//     case CLAIM_DELEG_PREV_FH: void;
//     case CLAIM_DELEG_CUR_FH: stateid4 oc_delegate_stateid; };
// CLAIM_NULL and CLAIM_DELEGATE_PREV share one arm (the same wire form). Another claim decodes as void: INVAL.
[XdrUnion(DefaultIsVoid = true)]
[XdrVoidCase(Nfs4Const.ClaimFh, Nfs4Const.ClaimDelegPrevFh)]
internal partial struct OpenClaim4
{
    [XdrDiscriminant]
    public uint Claim;

    [XdrCase(Nfs4Const.ClaimNull, Nfs4Const.ClaimDelegatePrev)]
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> File;

    [XdrCase(Nfs4Const.ClaimPrevious)]
    public uint DelegateType;

    [XdrCase(Nfs4Const.ClaimDelegateCur)]
    public OpenClaimDelegateCur4 DelegateCurInfo;

    [XdrCase(Nfs4Const.ClaimDelegCurFh)]
    public Stateid4 DelegateStateid;
}

// RFC 8881 §18.16.1 OPEN4args:
//   struct OPEN4args { seqid4 seqid; uint32_t share_access; uint32_t share_deny;
//                      open_owner4 owner; openflag4 openhow; open_claim4 claim; };
[XdrType]
internal partial struct Open4Args
{
    public uint Seqid;
    public uint ShareAccess;
    public uint ShareDeny;
    public StateOwner4 Owner;
    public OpenFlag4 OpenHow;
    public OpenClaim4 Claim;
}

// RFC 8881 §6.2.1 nfsace4: struct nfsace4 { acetype4 type; aceflag4 flag; acemask4 access_mask; utf8str_mixed who; };
[XdrType]
internal partial struct NfsAce4
{
    public uint Type;
    public uint Flag;
    public uint AccessMask;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Who;
}

// RFC 8881 §18.16.2 nfs_modified_limit4: struct nfs_modified_limit4 { uint32_t num_blocks; uint32_t bytes_per_block; };
[XdrType]
internal partial struct NfsModifiedLimit4
{
    public uint NumBlocks;
    public uint BytesPerBlock;
}

// RFC 8881 §18.16.2 nfs_space_limit4:
//   union nfs_space_limit4 switch (limit_by4 limitby) { case NFS_LIMIT_SIZE: uint64_t filesize; case NFS_LIMIT_BLOCKS: nfs_modified_limit4 mod_blocks; };
[XdrUnion]
internal partial struct NfsSpaceLimit4
{
    public const uint LimitSize = 1, LimitBlocks = 2;

    [XdrDiscriminant]
    public uint LimitBy;

    [XdrCase(LimitSize)]
    public ulong FileSize;

    [XdrCase(LimitBlocks)]
    public NfsModifiedLimit4 ModBlocks;
}

// RFC 8881 §18.16.2 open_read_delegation4: struct open_read_delegation4 { stateid4 stateid; bool recall; nfsace4 permissions; };
[XdrType]
internal partial struct OpenReadDelegation4
{
    public Stateid4 Stateid;
    public bool Recall;
    public NfsAce4 Permissions;
}

// RFC 8881 §18.16.2 open_write_delegation4:
//   struct open_write_delegation4 { stateid4 stateid; bool recall; nfs_space_limit4 space_limit; nfsace4 permissions; };
[XdrType]
internal partial struct OpenWriteDelegation4
{
    public Stateid4 Stateid;
    public bool Recall;
    public NfsSpaceLimit4 SpaceLimit;
    public NfsAce4 Permissions;
}

// RFC 8881 §18.16.2 open_none_delegation4:
//   union open_none_delegation4 switch (why_no_delegation4 ond_why) {
//     case WND4_CONTENTION: bool ond_server_will_push_deleg; case WND4_RESOURCE: bool ond_server_will_signal_avail; default: void; };
[XdrUnion(DefaultIsVoid = true)]
internal partial struct OpenNoneDelegation4
{
    // WND4_CONTENTION and WND4_RESOURCE are 1 and 2 (§18.16.2 why_no_delegation4); this said 7 and 8 (CANCELLED, IS_DIR).
    public const uint Contention = Nfs4Const.Wnd4Contention, Resource = Nfs4Const.Wnd4Resource;

    [XdrDiscriminant]
    public uint Why;

    [XdrCase(Contention)]
    public bool ServerWillPushDeleg;

    [XdrCase(Resource)]
    public bool ServerWillSignalAvail;
}

// RFC 8881 §18.16.2 open_delegation4:
//   union open_delegation4 switch (open_delegation_type4 delegation_type) {
//     case OPEN_DELEGATE_NONE: void; case OPEN_DELEGATE_READ: open_read_delegation4 read;
//     case OPEN_DELEGATE_WRITE: open_write_delegation4 write; case OPEN_DELEGATE_NONE_EXT: open_none_delegation4 od_whynone; };
[XdrUnion]
[XdrVoidCase(None)]
internal partial struct OpenDelegation4
{
    public const uint None = 0, Read = 1, Write = 2, NoneExt = 3;

    [XdrDiscriminant]
    public uint DelegationType;

    [XdrCase(Read)]
    public OpenReadDelegation4 ReadDelegation;

    [XdrCase(Write)]
    public OpenWriteDelegation4 WriteDelegation;

    [XdrCase(NoneExt)]
    public OpenNoneDelegation4 WhyNone;
}

// RFC 8881 §18.16.2 OPEN4resok:
//   struct OPEN4resok { stateid4 stateid; change_info4 cinfo; uint32_t rflags; bitmap4 attrset; open_delegation4 delegation; };
[XdrType]
internal partial struct Open4ResOk
{
    public Stateid4 Stateid;
    public ChangeInfo4 CInfo;
    public uint RFlags;
    public Bitmap4 Attrset;
    public OpenDelegation4 Delegation;
}

// RFC 8881 §18.2.1 CLOSE4args: struct CLOSE4args { seqid4 seqid; stateid4 open_stateid; };
[XdrType]
internal partial struct Close4Args
{
    public uint Seqid;
    public Stateid4 OpenStateid;
}

// RFC 8881 §18.18.1 OPEN_DOWNGRADE4args:
//   struct OPEN_DOWNGRADE4args { stateid4 open_stateid; seqid4 seqid; uint32_t share_access; uint32_t share_deny; };
[XdrType]
internal partial struct OpenDowngrade4Args
{
    public Stateid4 OpenStateid;
    public uint Seqid;
    public uint ShareAccess;
    public uint ShareDeny;
}

// RFC 8881 §18.6.1 DELEGRETURN4args: struct DELEGRETURN4args { stateid4 deleg_stateid; };
[XdrType]
internal partial struct DelegReturn4Args
{
    public Stateid4 DelegStateid;
}
