namespace DittoFs.Server.Rpc;

// RFC 5531 §9 message protocol constants.

internal enum MessageType : int { Call = 0, Reply = 1 }

internal enum ReplyStatus : int { Accepted = 0, Denied = 1 }

internal enum AcceptStatus : int
{
    Success = 0,
    ProgramUnavailable = 1,
    ProgramMismatch = 2,
    ProcedureUnavailable = 3,
    GarbageArgs = 4,
    SystemError = 5,
}

internal enum RejectStatus : int { RpcMismatch = 0, AuthError = 1 }

internal enum AuthStatus : int
{
    Ok = 0,
    BadCredential = 1,
    RejectedCredential = 2,
    BadVerifier = 3,
    RejectedVerifier = 4,
    TooWeak = 5,
}

internal enum AuthFlavor : int { None = 0, Sys = 1, Short = 2, Dh = 3, RpcSecGss = 6 }

internal static class RpcPrograms
{
    public const uint Portmap = 100000;
    public const uint Nfs = 100003;
    public const uint Mount = 100005;
    public const uint Nlm = 100021;
    public const uint Nsm = 100024;

    public const int RpcVersion = 2;
    /// <summary>RFC 5531 §8.2: credentials and verifiers are at most 400 bytes.</summary>
    public const int MaxAuthBytes = 400;
}
