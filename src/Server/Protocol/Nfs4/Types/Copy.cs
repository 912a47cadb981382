using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 7862 §15.2 COPY, §15.3 COPY_NOTIFY, §15.8 OFFLOAD_CANCEL, §15.9 OFFLOAD_STATUS, §15.13 CLONE, §16.1 CB_OFFLOAD.

// netaddr4 (RFC 5665) is declared once, with 4.0's clientaddr4: Types/ClientId40.cs.

// RFC 7862 §4.6 netloc4:
//   union netloc4 switch (netloc_type4 nl_type) {
//     case NL4_NAME: utf8str_cis nl_name; case NL4_URL: utf8str_cis nl_url; case NL4_NETADDR: netaddr4 nl_addr; };
[XdrUnion]
internal partial struct NetLoc4
{
    [XdrDiscriminant]
    public uint Type;

    [XdrCase(Nfs4Const.Nl4Name)]
    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Name;

    [XdrCase(Nfs4Const.Nl4Url)]
    [XdrMaxLength(Nfs4Const.OpaqueLimit)]
    public ReadOnlyMemory<byte> Url;

    [XdrCase(Nfs4Const.Nl4NetAddr)]
    public NetAddr4 Addr;
}

// RFC 7862 §15.2.1 COPY4args (SAVED_FH: source, CURRENT_FH: destination):
//   struct COPY4args { stateid4 ca_src_stateid; stateid4 ca_dst_stateid; offset4 ca_src_offset; offset4 ca_dst_offset;
//                      length4 ca_count; bool ca_consecutive; bool ca_synchronous; netloc4 ca_source_server<>; };
[XdrType]
internal partial struct Copy4Args
{
    public Stateid4 SrcStateid;
    public Stateid4 DstStateid;
    public ulong SrcOffset;
    public ulong DstOffset;
    public ulong Count;
    public bool Consecutive;
    public bool Synchronous;

    [XdrMaxLength(16)]
    public NetLoc4[] SourceServer;
}

// RFC 7862 §15.2.2 write_response4:
//   struct write_response4 { stateid4 wr_callback_id<1>; length4 wr_count; stable_how4 wr_committed; verifier4 wr_writeverf; };
[XdrType]
internal partial struct WriteResponse4
{
    [XdrMaxLength(1)]
    public Stateid4[] CallbackId;
    public ulong Count;
    public uint Committed;
    public ulong WriteVerf;
}

// RFC 7862 §15.2.2 COPY4resok: struct COPY4resok { write_response4 cr_response; copy_requirements4 cr_requirements; };
//   struct copy_requirements4 { bool cr_consecutive; bool cr_synchronous; };
[XdrType]
internal partial struct Copy4ResOk
{
    public WriteResponse4 Response;
    public bool Consecutive;
    public bool Synchronous;
}

// RFC 7862 §15.13.1 CLONE4args (SAVED_FH: source, CURRENT_FH: destination):
//   struct CLONE4args { stateid4 cl_src_stateid; stateid4 cl_dst_stateid; offset4 cl_src_offset; offset4 cl_dst_offset; length4 cl_count; };
[XdrType]
internal partial struct Clone4Args
{
    public Stateid4 SrcStateid;
    public Stateid4 DstStateid;
    public ulong SrcOffset;
    public ulong DstOffset;
    public ulong Count;
}

// RFC 7862 §15.9.2 OFFLOAD_STATUS4resok: struct OFFLOAD_STATUS4resok { length4 osr_count; nfsstat4 osr_complete<1>; };
[XdrType]
internal partial struct OffloadStatus4ResOk
{
    public ulong Count;

    [XdrMaxLength(1)]
    public int[] Complete;
}
