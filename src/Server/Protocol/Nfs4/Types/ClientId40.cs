using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 7530 (NFSv4.0) §16.33 SETCLIENTID, §16.34 SETCLIENTID_CONFIRM, §16.29 RENEW, §16.18 OPEN_CONFIRM,
// §16.37 RELEASE_LOCKOWNER: the operations minor version 0 has and 4.1 replaced with sessions.

// RFC 7530 §3.3.9 netaddr4 (clientaddr4): struct netaddr4 { string na_r_netid<>; string na_r_addr<>; };
[XdrType]
internal partial struct NetAddr4
{
    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Netid;

    [XdrMaxLength(Nfs4Limits.MaxName)]
    public ReadOnlyMemory<byte> Addr;
}

// RFC 7530 §3.3.11 cb_client4: struct cb_client4 { unsigned int cb_program; netaddr4 cb_location; };
[XdrType]
internal partial struct CbClient4
{
    public uint Program;
    public NetAddr4 Location;
}

// RFC 7530 §16.33.1 SETCLIENTID4args:
//   struct SETCLIENTID4args { nfs_client_id4 client; cb_client4 callback; uint32_t callback_ident; };
//   nfs_client_id4 is client_owner4's layout: { verifier4 verifier; opaque id<NFS4_OPAQUE_LIMIT>; }.
[XdrType]
internal partial struct SetClientId4Args
{
    public ClientOwner4 Client;
    public CbClient4 Callback;
    public uint CallbackIdent;
}

// RFC 7530 §16.33.2 SETCLIENTID4resok: struct SETCLIENTID4resok { clientid4 clientid; verifier4 setclientid_confirm; };
[XdrType]
internal partial struct SetClientId4ResOk
{
    public ulong ClientId;
    public ulong Confirm;
}

// RFC 7530 §16.34.1 SETCLIENTID_CONFIRM4args: struct SETCLIENTID_CONFIRM4args { clientid4 clientid; verifier4 setclientid_confirm; };
[XdrType]
internal partial struct SetClientIdConfirm4Args
{
    public ulong ClientId;
    public ulong Confirm;
}

// RFC 7530 §16.29.1 RENEW4args: struct RENEW4args { clientid4 clientid; };
[XdrType]
internal partial struct Renew4Args
{
    public ulong ClientId;
}

// RFC 7530 §16.18.1 OPEN_CONFIRM4args: struct OPEN_CONFIRM4args { stateid4 open_stateid; seqid4 seqid; };
[XdrType]
internal partial struct OpenConfirm4Args
{
    public Stateid4 OpenStateid;
    public uint Seqid;
}

// RFC 7530 §16.37.1 RELEASE_LOCKOWNER4args: struct RELEASE_LOCKOWNER4args { lock_owner4 lock_owner; };
[XdrType]
internal partial struct ReleaseLockOwner4Args
{
    public StateOwner4 LockOwner;
}
