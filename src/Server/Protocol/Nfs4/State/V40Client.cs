namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// What an NFSv4.0 client (RFC 7530) has besides a 4.1 client record: the SETCLIENTID confirm verifier,
/// the callback it named and whether it answers (Nfs4State.Callback40.cs), a callback update
/// waiting for its SETCLIENTID_CONFIRM, and its open and lock owners with their seqids.
/// </summary>
internal sealed class V40Client
{
    public ulong ConfirmVerifier;
    public V40Callback Callback;
    /// <summary>§16.33.5 case 3: a SETCLIENTID of the confirmed client with a new callback, applied by its confirm.</summary>
    public ulong? PendingConfirm;
    public V40Callback PendingCallback;
    /// <summary>The callback path: not probed yet, being probed (CB_NULL), answering, or not (refused address, no answer).</summary>
    public BackChannelState CallbackState;
    /// <summary>The callback the last probe was for: a confirm that changed nothing probes nothing.</summary>
    public V40Callback Probed;
    /// <summary>Open owners ("o" + hex) and lock owners ("l" + hex) of the client.</summary>
    public readonly Dictionary<string, SeqOwner> Owners = new(StringComparer.Ordinal);
}

/// <summary>
/// cb_client4 and callback_ident of a SETCLIENTID, and the endpoint it resolves to (null: malformed, or a host other
/// than the client's own, never called).
/// </summary>
internal readonly record struct V40Callback(uint Program, string Netid, string Addr, uint Ident, System.Net.IPEndPoint? Endpoint = null);

/// <summary>
/// An NFSv4.0 open or lock owner (RFC 7530 §9.1.7): the last seqid it used and the reply it got, so a
/// retransmission of that request gets the same reply and any other seqid but the next is BAD_SEQID.
/// </summary>
internal sealed class SeqOwner
{
    public required string Key { get; init; }
    public required ClientRecord Client { get; init; }
    /// <summary>No request seen yet: the first one's seqid is taken as it comes.</summary>
    public bool Fresh = true;
    public uint Seqid;
    /// <summary>The last reply's op result (nfsstat4 and result), for a retransmission.</summary>
    public byte[]? Reply;
    /// <summary>The current file after that op (an OPEN's opened file: the GETFH after a retransmitted OPEN needs it).</summary>
    public Storage.FileId ReplyFile;
    /// <summary>An open owner whose first OPEN was confirmed (OPEN_CONFIRM, or a reclaim).</summary>
    public bool Confirmed;
    /// <summary>The last stateid this owner closed: a retransmitted CLOSE names it after it is gone.</summary>
    public ulong Retired;
}

/// <summary>What a seqid says of a request: the next one, a retransmission of the last, or neither.</summary>
internal enum SeqidCheck : byte { Next, Replay, Bad }
