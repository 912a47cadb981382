using DittoFs.Server.Buffers;
using DittoFs.Server.Exports;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

internal enum FhKind : byte { None, Pseudo, File }

/// <summary>A current or saved filehandle of a compound, resolved: pseudo-fs node or a file of an export, with the caller as that export sees them.</summary>
internal struct Fh
{
    public FhKind Kind;
    public FileId Id;
    public Export? Export;
    public Caller Caller;

    public readonly bool IsNone => Kind == FhKind.None;
}

/// <summary>
/// The state of one COMPOUND: where its arguments are read from, the reply
/// being written, the current and saved filehandles, the session and slot
/// (after SEQUENCE) and the current stateid (RFC 8881 §16.2.3.1.2).
/// Operations decode their arguments with <see cref="Decode{T}"/> (the generated
/// codecs of Types/*.cs, slices of the record) before their first await, then
/// write their result through <see cref="ReplyOk{T}"/> or <see cref="Begin"/>.
/// </summary>
internal sealed class Compound
{
    public RpcCall Call = null!;
    public ReplyBuffer Reply = null!;
    public ReadOnlyMemory<byte> Args;
    public int Position;
    public int OpCount;
    public int OpIndex;
    /// <summary>The COMPOUND's minorversion (1 or 2).</summary>
    public uint Minor;
    public Fh Current;
    public Fh Saved;
    public Session? Session;
    public Slot? Slot;
    public ClientRecord? Client;
    /// <summary>SEQUENCE's sa_cachethis: a reply too big for the slot's cache is REP_TOO_BIG_TO_CACHE (§2.10.6.4).</summary>
    public bool CacheThis;
    public Stateid4 CurrentStateid;
    public bool HasCurrentStateid;
    /// <summary>SAVEFH keeps the current stateid with the filehandle, RESTOREFH brings both back (§16.2.3.1.2).</summary>
    public Stateid4 SavedStateid;
    public bool HasSavedStateid;
    /// <summary>The op wrote its status (and result) itself.</summary>
    public bool Written;
    /// <summary>SEQUENCE found a retry: answer with this slot's cached reply.</summary>
    public Slot? Replay;

    public XdrReader Reader() => new(Args[Position..]);

    public void Consumed(in XdrReader reader) => Position += (int)reader.Consumed;

    /// <summary>The op's arguments through their generated codec (Types/*.cs); the position moves past them.</summary>
    public T Decode<T>() where T : IXdrCodec<T>
    {
        XdrReader reader = Reader();
        T args = T.Decode(ref reader);
        Consumed(reader);
        return args;
    }

    /// <summary>OK and the op's result through its generated codec.</summary>
    public Nfs4Status ReplyOk<T>(T result) where T : IXdrCodec<T>
    {
        XdrWriter writer = Begin(Nfs4Status.Ok);
        result.Encode(ref writer);
        writer.Flush();
        return Nfs4Status.Ok;
    }

    /// <summary>Writes the op's status; the op writes its result (if any) after it and flushes.</summary>
    public XdrWriter Begin(Nfs4Status status)
    {
        var writer = new XdrWriter(Reply);
        writer.WriteInt32((int)status);
        Written = true;
        return writer;
    }

    /// <summary>OK with a stateid as the op's result, which also becomes the current stateid (RFC 8881 §16.2.3.1.2).</summary>
    public Nfs4Status ReplyWithCurrentStateid(Stateid4 stateid)
    {
        CurrentStateid = stateid;
        HasCurrentStateid = true;
        XdrWriter w = Begin(Nfs4Status.Ok);
        stateid.Write(ref w);
        w.Flush();
        return Nfs4Status.Ok;
    }

    /// <summary>
    /// An op changed the current filehandle without setting a stateid (PUTFH, LOOKUP, CREATE, …): the current
    /// stateid no longer goes with it, a later use of it is BAD_STATEID (§16.2.3.1.2; knfsd's OP_CLEAR_STATEID).
    /// </summary>
    public void ClearCurrentStateid()
    {
        CurrentStateid = default;
        HasCurrentStateid = false;
    }

    public void Reset()
    {
        Call = null!;
        Reply = null!;
        Args = default;
        Position = OpCount = OpIndex = 0;
        Minor = 0;
        Current = Saved = default;
        Session = null;
        Slot = null;
        Client = null;
        CacheThis = false;
        CurrentStateid = SavedStateid = default;
        HasCurrentStateid = HasSavedStateid = false;
        Written = false;
        Replay = null;
    }
}
