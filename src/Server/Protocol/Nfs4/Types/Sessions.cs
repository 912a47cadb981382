using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.33-18.37, §18.46, §18.50, §18.51: clients, sessions, slots, callbacks.

// RFC 8881 §18.35.1 client_owner4:
//   struct client_owner4 { verifier4 co_verifier; opaque co_ownerid<NFS4_OPAQUE_LIMIT>; };
[XdrType]
internal partial struct ClientOwner4
{
    public ulong Verifier;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> OwnerId;
}

// RFC 8881 §18.35.1 state_protect_ops4:
//   struct state_protect_ops4 { bitmap4 spo_must_enforce; bitmap4 spo_must_allow; };
[XdrType]
internal partial struct StateProtectOps4
{
    public Bitmap4 MustEnforce;
    public Bitmap4 MustAllow;
}

// RFC 8881 §18.35.1 ssv_sp_parms4:
//   struct ssv_sp_parms4 { state_protect_ops4 ssp_ops; sec_oid4 ssp_hash_algs<>; sec_oid4 ssp_encr_algs<>;
//                          uint32_t ssp_window; uint32_t ssp_num_gss_handles; };
// Decoded only to be refused (ENCR_ALG_UNSUPP): the arrays allocate, SP4_SSV is never offered.
[XdrType]
internal partial struct SsvSpParms4
{
    public StateProtectOps4 Ops;

    [XdrMaxLength(64)]
    public ReadOnlyMemory<byte>[] HashAlgs;

    [XdrMaxLength(64)]
    public ReadOnlyMemory<byte>[] EncrAlgs;

    public uint Window;
    public uint NumGssHandles;
}

// RFC 8881 §18.35.1 state_protect4_a:
//   union state_protect4_a switch (state_protect_how4 spa_how) {
//     case SP4_NONE: void; case SP4_MACH_CRED: state_protect_ops4 spa_mach_ops; case SP4_SSV: ssv_sp_parms4 spa_ssv_parms; };
// Another spa_how decodes as void: the handler answers ENCR_ALG_UNSUPP for anything but SP4_NONE/SP4_MACH_CRED.
[XdrUnion(DefaultIsVoid = true)]
[XdrVoidCase(Nfs4Const.Sp4None)]
internal partial struct StateProtect4A
{
    [XdrDiscriminant]
    public uint How;

    [XdrCase(Nfs4Const.Sp4MachCred)]
    public StateProtectOps4 MachOps;

    [XdrCase(Nfs4Const.Sp4Ssv)]
    public SsvSpParms4 SsvParms;
}

// RFC 8881 §18.35.1 EXCHANGE_ID4args:
//   struct EXCHANGE_ID4args { client_owner4 eia_clientowner; uint32_t eia_flags;
//                             state_protect4_a eia_state_protect; nfs_impl_id4 eia_client_impl_id<1>; };
[XdrType]
internal partial struct ExchangeId4Args
{
    public ClientOwner4 ClientOwner;
    public uint Flags;
    public StateProtect4A StateProtect;

    [XdrMaxLength(1)]
    public NfsImplId4[] ClientImplId;
}

// RFC 8881 §18.35.2 state_protect4_r (we answer SP4_NONE only; SP4_MACH_CRED for clients of the codec):
//   union state_protect4_r switch (state_protect_how4 spr_how) {
//     case SP4_NONE: void; case SP4_MACH_CRED: state_protect_ops4 spr_mach_ops; case SP4_SSV: ssv_prot_info4 spr_ssv_info; };
[XdrUnion]
[XdrVoidCase(Nfs4Const.Sp4None)]
internal partial struct StateProtect4R
{
    [XdrDiscriminant]
    public uint How;

    [XdrCase(Nfs4Const.Sp4MachCred)]
    public StateProtectOps4 MachOps;
}

// RFC 8881 §2.5 server_owner4: struct server_owner4 { uint64_t so_minor_id; opaque so_major_id<NFS4_OPAQUE_LIMIT>; };
[XdrType]
internal partial struct ServerOwner4
{
    public ulong MinorId;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> MajorId;
}

// RFC 8881 §18.35.2 EXCHANGE_ID4resok:
//   struct EXCHANGE_ID4resok { clientid4 eir_clientid; sequenceid4 eir_sequenceid; uint32_t eir_flags;
//     state_protect4_r eir_state_protect; server_owner4 eir_server_owner;
//     opaque eir_server_scope<NFS4_OPAQUE_LIMIT>; nfs_impl_id4 eir_server_impl_id<1>; };
[XdrType]
internal partial struct ExchangeId4ResOk
{
    public ulong ClientId;
    public uint SequenceId;
    public uint Flags;
    public StateProtect4R StateProtect;
    public ServerOwner4 ServerOwner;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> ServerScope;

    [XdrMaxLength(1)]
    public NfsImplId4[] ServerImplId;
}

// RFC 8881 §18.36.1 channel_attrs4:
//   struct channel_attrs4 { count4 ca_headerpadsize; count4 ca_maxrequestsize; count4 ca_maxresponsesize;
//     count4 ca_maxresponsesize_cached; count4 ca_maxoperations; count4 ca_maxrequests; uint32_t ca_rdma_ird<1>; };
[XdrType]
internal partial struct ChannelAttrs4
{
    public uint HeaderPadSize;
    public uint MaxRequestSize;
    public uint MaxResponseSize;
    public uint MaxResponseSizeCached;
    public uint MaxOperations;
    public uint MaxRequests;

    [XdrMaxLength(1)]
    public uint[] RdmaIrd;

    /// <summary>The state's view (no RDMA).</summary>
    public readonly ChannelAttrs ToState() =>
        new(HeaderPadSize, MaxRequestSize, MaxResponseSize, MaxResponseSizeCached, MaxOperations, MaxRequests);

    public static ChannelAttrs4 From(in ChannelAttrs a) => new()
    {
        HeaderPadSize = a.HeaderPadSize,
        MaxRequestSize = a.MaxRequestSize,
        MaxResponseSize = a.MaxResponseSize,
        MaxResponseSizeCached = a.MaxResponseSizeCached,
        MaxOperations = a.MaxOperations,
        MaxRequests = a.MaxRequests,
    };
}

// RFC 5531 §14 / RFC 8881 §18.36.1 authsys_parms:
//   struct authsys_parms { unsigned int stamp; string machinename<255>; unsigned int uid; unsigned int gid; unsigned int gids<16>; };
[XdrType]
internal partial struct AuthSysParms
{
    public uint Stamp;

    [XdrMaxLength(255)]
    public ReadOnlyMemory<byte> MachineName;

    public uint Uid;
    public uint Gid;

    [XdrMaxLength(16)]
    public uint[] Gids;
}

// RFC 8881 §18.36.1 gss_cb_handles4:
//   struct gss_cb_handles4 { rpc_gss_svc_t gcbp_service; gsshandle4_t gcbp_handle_from_server; gsshandle4_t gcbp_handle_from_client; };
[XdrType]
internal partial struct GssCbHandles4
{
    public uint Service;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> HandleFromServer;

    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> HandleFromClient;
}

// RFC 8881 §18.36.1 callback_sec_parms4:
//   union callback_sec_parms4 switch (uint32_t cb_secflavor) {
//     case AUTH_NONE: void; case AUTH_SYS: authsys_parms cbsp_sys_cred; case RPCSEC_GSS: gss_cb_handles4 cbsp_gss_handles; };
// Any other flavor is malformed (BADXDR).
[XdrUnion]
[XdrVoidCase(Nfs4Const.AuthNone)]
internal partial struct CallbackSecParms4
{
    [XdrDiscriminant]
    public uint Flavor;

    [XdrCase(Nfs4Const.AuthSys)]
    public AuthSysParms SysCred;

    [XdrCase(Nfs4Const.RpcSecGss)]
    public GssCbHandles4 GssHandles;
}

// RFC 8881 §18.36.1 CREATE_SESSION4args:
//   struct CREATE_SESSION4args { clientid4 csa_clientid; sequenceid4 csa_sequence; uint32_t csa_flags;
//     channel_attrs4 csa_fore_chan_attrs; channel_attrs4 csa_back_chan_attrs; uint32_t csa_cb_program;
//     callback_sec_parms4 csa_sec_parms<>; };
[XdrType]
internal partial struct CreateSession4Args
{
    public ulong ClientId;
    public uint Sequence;
    public uint Flags;
    public ChannelAttrs4 ForeChanAttrs;
    public ChannelAttrs4 BackChanAttrs;
    public uint CbProgram;

    [XdrMaxLength(Nfs4Limits.MaxSecParms)]
    public CallbackSecParms4[] SecParms;
}

// RFC 8881 §18.36.2 CREATE_SESSION4resok:
//   struct CREATE_SESSION4resok { sessionid4 csr_sessionid; sequenceid4 csr_sequence; uint32_t csr_flags;
//     channel_attrs4 csr_fore_chan_attrs; channel_attrs4 csr_back_chan_attrs; };
[XdrType]
internal partial struct CreateSession4ResOk
{
    public SessionId4 SessionId;
    public uint Sequence;
    public uint Flags;
    public ChannelAttrs4 ForeChanAttrs;
    public ChannelAttrs4 BackChanAttrs;
}

// RFC 8881 §18.46.1 SEQUENCE4args:
//   struct SEQUENCE4args { sessionid4 sa_sessionid; sequenceid4 sa_sequenceid; slotid4 sa_slotid;
//                          slotid4 sa_highest_slotid; bool sa_cachethis; };
[XdrType]
internal partial struct Sequence4Args
{
    public SessionId4 SessionId;
    public uint SequenceId;
    public uint SlotId;
    public uint HighestSlotId;
    public bool CacheThis;

    public readonly void Deconstruct(out SessionId4 sessionId, out uint sequenceId, out uint slotId, out uint highestSlotId, out bool cacheThis) =>
        (sessionId, sequenceId, slotId, highestSlotId, cacheThis) = (SessionId, SequenceId, SlotId, HighestSlotId, CacheThis);
}

// RFC 8881 §18.46.2 SEQUENCE4resok:
//   struct SEQUENCE4resok { sessionid4 sr_sessionid; sequenceid4 sr_sequenceid; slotid4 sr_slotid;
//     slotid4 sr_highest_slotid; slotid4 sr_target_highest_slotid; uint32_t sr_status_flags; };
[XdrType]
internal partial struct Sequence4ResOk
{
    public SessionId4 SessionId;
    public uint SequenceId;
    public uint SlotId;
    public uint HighestSlotId;
    public uint TargetHighestSlotId;
    public uint StatusFlags;
}

// RFC 8881 §18.37.1 DESTROY_SESSION4args: struct DESTROY_SESSION4args { sessionid4 dsa_sessionid; };
[XdrType]
internal partial struct DestroySession4Args
{
    public SessionId4 SessionId;
}

// RFC 8881 §18.50.1 DESTROY_CLIENTID4args: struct DESTROY_CLIENTID4args { clientid4 dca_clientid; };
[XdrType]
internal partial struct DestroyClientId4Args
{
    public ulong ClientId;
}

// RFC 8881 §18.34.1 BIND_CONN_TO_SESSION4args:
//   struct BIND_CONN_TO_SESSION4args { sessionid4 bctsa_sessid; channel_dir_from_client4 bctsa_dir; bool bctsa_use_conn_in_rdma_mode; };
[XdrType]
internal partial struct BindConnToSession4Args
{
    public SessionId4 SessionId;
    public uint Dir;
    public bool UseConnInRdmaMode;
}

// RFC 8881 §18.34.2 BIND_CONN_TO_SESSION4resok:
//   struct BIND_CONN_TO_SESSION4resok { sessionid4 bctsr_sessid; channel_dir_from_server4 bctsr_dir; bool bctsr_use_conn_in_rdma_mode; };
[XdrType]
internal partial struct BindConnToSession4ResOk
{
    public SessionId4 SessionId;
    public uint Dir;
    public bool UseConnInRdmaMode;
}

// RFC 8881 §18.33.1 BACKCHANNEL_CTL4args:
//   struct BACKCHANNEL_CTL4args { uint32_t bca_cb_program; callback_sec_parms4 bca_sec_parms<>; };
[XdrType]
internal partial struct BackchannelCtl4Args
{
    public uint CbProgram;

    [XdrMaxLength(Nfs4Limits.MaxSecParms)]
    public CallbackSecParms4[] SecParms;
}

// RFC 8881 §18.51.1 RECLAIM_COMPLETE4args: struct RECLAIM_COMPLETE4args { bool rca_one_fs; };
[XdrType]
internal partial struct ReclaimComplete4Args
{
    public bool OneFs;
}
