using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Rpc;

/// <summary>
/// The CALL part of an RPC message (RFC 5531 §9), credential decoded.
///
/// <code>
/// xid | msg_type=CALL(0) | rpcvers=2 | prog | vers | proc
/// cred: flavor | opaque body&lt;400&gt;
/// verf: flavor | opaque body&lt;400&gt;
/// procedure arguments ...
/// </code>
/// </summary>
internal struct CallHeader
{
    public uint Xid;
    public uint RpcVersion;
    public uint Program;
    public uint Version;
    public uint Procedure;
    public AuthFlavor CredentialFlavor;
    /// <summary>Set when the credential is AUTH_SYS and well formed.</summary>
    public Caller Caller;
    /// <summary>False when the credential flavor is unsupported or its body is malformed.</summary>
    public bool CredentialValid;
    /// <summary>Offset of the procedure arguments in the record.</summary>
    public int ArgumentsOffset;
}

internal enum HeaderParse
{
    /// <summary>A call with a valid RPC version: dispatch it (check CredentialValid).</summary>
    Call,
    /// <summary>rpcvers != 2: reply RPC_MISMATCH.</summary>
    RpcVersionMismatch,
    /// <summary>A REPLY message (only NFSv4.1 back channels expect these).</summary>
    Reply,
    /// <summary>The header is unreadable (no xid or truncated): close the connection.</summary>
    Malformed,
}

internal static class CallHeaderParser
{
    /// <summary>Parses the call header of one record. Never throws.</summary>
    public static HeaderParse Parse(ReadOnlyMemory<byte> record, out CallHeader header)
    {
        header = default;
        try
        {
            var reader = new XdrReader(record);
            header.Xid = reader.ReadUInt32();
            int type = reader.ReadInt32();
            if (type == (int)MessageType.Reply) return HeaderParse.Reply;
            if (type != (int)MessageType.Call) return HeaderParse.Malformed;
            header.RpcVersion = reader.ReadUInt32();
            if (header.RpcVersion != RpcPrograms.RpcVersion) return HeaderParse.RpcVersionMismatch;
            header.Program = reader.ReadUInt32();
            header.Version = reader.ReadUInt32();
            header.Procedure = reader.ReadUInt32();

            header.CredentialFlavor = (AuthFlavor)reader.ReadInt32();
            ReadOnlyMemory<byte> credential = reader.ReadOpaqueMemory(RpcPrograms.MaxAuthBytes);
            _ = reader.ReadInt32(); // verifier flavor: AUTH_NONE/AUTH_SYS carry no verifier we check
            _ = reader.ReadOpaque(RpcPrograms.MaxAuthBytes);
            header.ArgumentsOffset = (int)reader.Consumed;

            header.CredentialValid = header.CredentialFlavor switch
            {
                AuthFlavor.None => SetAnonymous(ref header),
                AuthFlavor.Sys => AuthSys.TryParse(credential, out header.Caller),
                _ => false,
            };
            return HeaderParse.Call;
        }
        catch (XdrException)
        {
            // A header we cannot read to its end names no program to answer for.
            return HeaderParse.Malformed;
        }
    }

    private static bool SetAnonymous(ref CallHeader header)
    {
        header.Caller = new Caller(AuthSys.Nobody, AuthSys.Nobody);
        return true;
    }
}
