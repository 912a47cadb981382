namespace DittoFs.Server.Rpc;

/// <summary>One RPC program (NFS, MOUNT, portmapper) over a range of versions.</summary>
internal interface IRpcProgram
{
    uint Program { get; }

    uint LowVersion { get; }

    uint HighVersion { get; }

    /// <summary>
    /// Handles a call whose program and version are in range and whose
    /// credential parsed. Writes exactly one reply (PROC_UNAVAIL for an unknown
    /// procedure). Filesystem failures are NFS statuses in the result, never exceptions.
    /// </summary>
    ValueTask HandleAsync(RpcCall call);

    /// <summary>
    /// True for procedures whose second execution would answer differently
    /// (REMOVE, CREATE, RENAME...): their replies go through the duplicate request cache.
    /// </summary>
    bool IsNonIdempotent(uint version, uint procedure) => false;

    /// <summary>
    /// The same for a whole call, for programs whose procedure alone does not say (an NFSv4.0 COMPOUND: its
    /// operations decide). Such a program may set <see cref="RpcCall.KeepOutOfReplyCache"/> once it ran.
    /// </summary>
    bool IsNonIdempotent(RpcCall call) => IsNonIdempotent(call.Header.Version, call.Header.Procedure);

    /// <summary>
    /// The expected size of the call's reply in bytes, reserved before it runs so a client cannot
    /// pin more reply memory than its budget (READ: the count it asked for); 0 = unknown, the
    /// connection then expects a reply like its recent ones.
    /// </summary>
    int ReplySizeHint(RpcCall call) => 0;
}
