using System.Buffers;
using System.Net;
using DittoFs.Server.Buffers;
using DittoFs.Storage;
using DittoFs.Xdr;
using Microsoft.Extensions.ObjectPool;

namespace DittoFs.Server.Rpc;

/// <summary>
/// One call in flight: its record (a rented buffer, returned when the call
/// ends), the parsed header, the connection it came on and the reply being
/// built. A handler decodes its arguments, does the work and writes exactly
/// one reply through the Reply* methods.
///
/// Pooled (<see cref="Rent"/>; <see cref="Dispose"/> gives it back), so a steady-state call
/// allocates nothing here. The owner disposes it only after the program's task completed and
/// the reply was taken; nothing may keep the object past that (a compound, the reply cache and
/// the metrics copy what they need), because the next call reuses it.
/// </summary>
internal sealed class RpcCall : IDisposable
{
    private const int MaxPooled = 256;
    // Not a ConcurrentBag: calls are rented on the connection's thread and returned on another, and
    // the bag's Count (needed to bound it) locks every thread's list: a convoy on every call.
    private static readonly DefaultObjectPool<RpcCall> s_pool = new(new Policy(), MaxPooled);

    private byte[] _record;
    private int _length;
    private ReplyBuffer? _reply;
    private bool _returned;

    public RpcCall(byte[] record, int length, in CallHeader header, IRpcConnection connection)
    {
        _record = record;
        _length = length;
        Header = header;
        Connection = connection;
    }

    private RpcCall()
    {
        _record = [];
        Connection = null!;
    }

    private sealed class Policy : IPooledObjectPolicy<RpcCall>
    {
        public RpcCall Create() => new();

        public bool Return(RpcCall obj) => true;
    }

    /// <summary>A call object from the pool (or a new one) for this record; the record is the call's until it is disposed.</summary>
    public static RpcCall Rent(byte[] record, int length, in CallHeader header, IRpcConnection connection)
    {
        RpcCall call = s_pool.Get();
        call._record = record;
        call._length = length;
        call.Header = header;
        call.Connection = connection;
        call._returned = false;
        call.KeepOutOfReplyCache = false;
        return call;
    }

    public CallHeader Header;

    /// <summary>The program found, after running it, that this call needs no duplicate-request-cache entry (its reply is forgotten).</summary>
    public bool KeepOutOfReplyCache;

    public IRpcConnection Connection { get; private set; }

    public uint Procedure => Header.Procedure;

    public uint Version => Header.Version;

    public ref Caller Caller => ref Header.Caller;

    public ReadOnlyMemory<byte> Arguments => _record.AsMemory(Header.ArgumentsOffset, _length - Header.ArgumentsOffset);

    public ReadOnlyMemory<byte> Record => _record.AsMemory(0, _length);

    /// <summary>The reply written so far; null until a Reply* method ran.</summary>
    public ReplyBuffer? ReplyBuffer => _reply;

    /// <summary>Decodes the arguments; on malformed input replies GARBAGE_ARGS and returns false.</summary>
    public bool TryDecode<T>(out T args) where T : IXdrCodec<T>
    {
        try
        {
            var reader = new XdrReader(Arguments);
            args = T.Decode(ref reader);
            return true;
        }
        catch (XdrException)
        {
            args = default!;
            ReplyAccepted(AcceptStatus.GarbageArgs);
            return false;
        }
    }

    /// <summary>SUCCESS and the procedure's result.</summary>
    public void ReplySuccess<T>(in T result) where T : IXdrCodec<T>
    {
        var writer = BeginAccepted(AcceptStatus.Success);
        result.Encode(ref writer);
        writer.Flush();
    }

    /// <summary>SUCCESS with a void result (NULL procedures).</summary>
    public void ReplyVoid()
    {
        var writer = BeginAccepted(AcceptStatus.Success);
        writer.Flush();
    }

    /// <summary>SUCCESS; the caller writes the result with the returned writer and flushes it.</summary>
    public XdrWriter BeginSuccess() => BeginAccepted(AcceptStatus.Success);

    public void ReplyAccepted(AcceptStatus status)
    {
        var writer = BeginAccepted(status);
        writer.Flush();
    }

    public void ReplyProgramMismatch(uint low, uint high)
    {
        var writer = BeginAccepted(AcceptStatus.ProgramMismatch);
        writer.WriteUInt32(low);
        writer.WriteUInt32(high);
        writer.Flush();
    }

    public void ReplyAuthError(AuthStatus status)
    {
        var writer = BeginReply(ReplyStatus.Denied);
        writer.WriteInt32((int)RejectStatus.AuthError);
        writer.WriteInt32((int)status);
        writer.Flush();
    }

    /// <summary>Sends a reply recorded earlier (duplicate request cache), byte for byte.</summary>
    public void ReplyRaw(ReadOnlySpan<byte> body)
    {
        _reply ??= ReplyBuffer.Rent();
        _reply.Reset();
        body.CopyTo(_reply.GetSpan(body.Length));
        _reply.Advance(body.Length);
    }

    public static void WriteRpcMismatch(ReplyBuffer buffer, uint xid)
    {
        var writer = new XdrWriter(buffer);
        writer.WriteUInt32(xid);
        writer.WriteInt32((int)MessageType.Reply);
        writer.WriteInt32((int)ReplyStatus.Denied);
        writer.WriteInt32((int)RejectStatus.RpcMismatch);
        writer.WriteUInt32(RpcPrograms.RpcVersion);
        writer.WriteUInt32(RpcPrograms.RpcVersion);
        writer.Flush();
    }

    private XdrWriter BeginAccepted(AcceptStatus status)
    {
        var writer = BeginReply(ReplyStatus.Accepted);
        writer.WriteInt32((int)AuthFlavor.None); // verifier: AUTH_NONE, empty
        writer.WriteInt32(0);
        writer.WriteInt32((int)status);
        return writer;
    }

    private XdrWriter BeginReply(ReplyStatus status)
    {
        _reply ??= ReplyBuffer.Rent();
        _reply.Reset();
        var writer = new XdrWriter(_reply);
        writer.WriteUInt32(Header.Xid);
        writer.WriteInt32((int)MessageType.Reply);
        writer.WriteInt32((int)status);
        return writer;
    }

    /// <summary>Hands the reply buffer to the caller (who returns it to the pool after sending).</summary>
    public ReplyBuffer? TakeReply()
    {
        ReplyBuffer? reply = _reply;
        _reply = null;
        return reply;
    }

    public void Dispose()
    {
        // Twice would put one object in the pool twice, and two calls would share it.
        if (_returned) return;
        _returned = true;
        BufferPool.Return(_record);
        _record = [];
        _length = 0;
        if (_reply is not null) Buffers.ReplyBuffer.Return(_reply);
        _reply = null;
        Header = default;
        Connection = null!;
        s_pool.Return(this);
    }
}

/// <summary>What a handler may know about the connection a call came on.</summary>
internal interface IRpcConnection
{
    IPEndPoint? RemoteEndPoint { get; }

    /// <summary>The local port the call arrived on (the NFS port, or a separate MOUNT port).</summary>
    int LocalPort { get; }

    string ConnectionId { get; }

    /// <summary>True once the connection is closed (a back channel on it is gone).</summary>
    bool IsClosed => true;

    /// <summary>
    /// Sends an RPC CALL on this connection (an NFSv4.1 back channel, RFC 8881 §2.10.3.1) and waits
    /// for the REPLY with its xid: the reply record, or null when the connection closed or no reply
    /// came within <paramref name="timeout"/>. The first word of <paramref name="call"/> (the xid) is
    /// set here; the buffer is the connection's from then on.
    /// </summary>
    Task<byte[]?> CallAsync(ReplyBuffer call, TimeSpan timeout)
    {
        ReplyBuffer.Return(call);
        return Task.FromResult<byte[]?>(null);
    }
}
