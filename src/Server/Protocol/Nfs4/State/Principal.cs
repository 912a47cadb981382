using DittoFs.Server.Rpc;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// Who sent a call, as far as SP4_NONE state protection goes (RFC 8881 §2.10.8.3, §18.35.4):
/// the credential flavor and, for AUTH_SYS, uid and gid (knfsd's same_creds compares the same).
/// A client record belongs to the principal that made it; CREATE_SESSION, DESTROY_SESSION and
/// DESTROY_CLIENTID from another principal are refused. AUTH_NONE is one principal.
/// </summary>
internal readonly record struct Principal(int Flavor, uint Uid, uint Gid)
{
    public static Principal Of(RpcCall call) => call.Header.CredentialFlavor == AuthFlavor.Sys
        ? new Principal((int)AuthFlavor.Sys, call.Caller.Uid, call.Caller.Gid)
        : new Principal((int)call.Header.CredentialFlavor, 0, 0);
}
