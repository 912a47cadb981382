using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 7862 §15.1 ALLOCATE, §15.4 DEALLOCATE, §15.10 READ_PLUS, §15.11 SEEK (minor version 2).

// RFC 7862 §15.1.1 ALLOCATE4args: struct ALLOCATE4args { stateid4 aa_stateid; offset4 aa_offset; length4 aa_length; };
// §15.4.1 DEALLOCATE4args has the same shape. Both results are a bare status.
[XdrType]
internal partial struct Allocate4Args
{
    public Stateid4 Stateid;
    public ulong Offset;
    public ulong Length;
}

// RFC 7862 §15.11.1 SEEK4args: struct SEEK4args { stateid4 sa_stateid; offset4 sa_offset; data_content4 sa_what; };
// data_content4 stays a uint: an unknown value is the handler's UNION_NOTSUPP, not BADXDR.
[XdrType]
internal partial struct Seek4Args
{
    public Stateid4 Stateid;
    public ulong Offset;
    public uint What;
}

// RFC 7862 §15.11.2 seek_res4: struct seek_res4 { bool sr_eof; offset4 sr_offset; };
[XdrType]
internal partial struct Seek4ResOk
{
    public bool Eof;
    public ulong Offset;
}

// RFC 7862 §15.10.1 READ_PLUS4args: struct READ_PLUS4args { stateid4 rpa_stateid; offset4 rpa_offset; count4 rpa_count; };
// The result (read_plus_res4 { bool rpr_eof; read_plus_content rpr_contents<>; }, each content a union on
// data_content4: data4 { offset4; opaque<> } or data_info4 { offset4; length4 }) is written by the handler.
[XdrType]
internal partial struct ReadPlus4Args
{
    public Stateid4 Stateid;
    public ulong Offset;
    public uint Count;
}
