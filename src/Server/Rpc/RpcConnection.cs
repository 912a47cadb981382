using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using DittoFs.Server.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Rpc;

/// <summary>
/// One TCP connection: reads records, runs several calls at once (bounded
/// per connection and server-wide), and writes each reply as soon as its call
/// finishes, in any order (RPC matches replies by xid). A broken record mark
/// or an unreadable header closes this connection only.
///
/// Memory a client can pin is bounded: a call starts only when its expected
/// reply fits this connection's reply budget and the server's (replies built
/// but not yet taken by the socket, plus calls in flight at the size of this
/// connection's recent replies), so a client that does not read its replies
/// stops being read (backpressure) and, once its replies make no progress
/// for the reply timeout, is closed. A record begun but not finished within
/// the record timeout, and a connection idle past the idle timeout, are
/// closed too (<see cref="ConnectionWatchdog"/> checks the deadlines).
/// </summary>
internal sealed class RpcConnection : IRpcConnection
{
    // Replies go to the transport in slices: a stuck socket then holds one slice in the pipe, not a
    // copy of a whole 1 MiB reply (the reply itself is counted in the budgets until it is written).
    private const int WriteSlice = 64 * 1024;
    private const int MinReplyEstimate = 4 * 1024;

    private readonly ConnectionContext _context;
    private readonly Dispatcher _dispatcher;
    private readonly RpcLimits _limits;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _perConnection;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ReplyBudget _replies;
    private readonly CancellationTokenSource _abort = new();
    private int _inFlight;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _replyEstimate = MinReplyEstimate;
    private int _aborted;
    private int _closed;

    // Calls this server sent on the connection (NFSv4.1 back channel), by xid, until their reply comes.
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<byte[]?>> _callbacks = new();
    private int _nextXid = Random.Shared.Next();

    // Deadline clocks (Environment.TickCount64 ms; 0 = not running), read by the watchdog.
    private long _recordStarted;
    private long _sliceStarted;
    private long _lastActivity = Environment.TickCount64;

    public RpcConnection(ConnectionContext context, Dispatcher dispatcher, RpcLimits limits, ILogger logger)
    {
        _context = context;
        _dispatcher = dispatcher;
        _limits = limits;
        _logger = logger;
        _perConnection = new SemaphoreSlim(limits.MaxCallsPerConnection, limits.MaxCallsPerConnection);
        _replies = new ReplyBudget(limits.MaxReplyBytesPerConnection);
        RemoteEndPoint = context.RemoteEndPoint as IPEndPoint;
        LocalPort = (context.LocalEndPoint as IPEndPoint)?.Port ?? 0;
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public int LocalPort { get; }

    public string ConnectionId => _context.ConnectionId;

    public bool IsClosed => Volatile.Read(ref _closed) != 0 || _abort.IsCancellationRequested;

    public async Task<byte[]?> CallAsync(ReplyBuffer call, TimeSpan timeout)
    {
        uint xid = unchecked((uint)Interlocked.Increment(ref _nextXid));
        BinaryPrimitives.WriteUInt32BigEndian(call.WrittenBody, xid);
        var pending = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _callbacks[xid] = pending;
        try
        {
            if (IsClosed)
            {
                ReplyBuffer.Return(call);
                return null;
            }
            // Not awaited: a stuck socket must not hold the caller past its timeout (the watchdog closes such a connection).
            _ = SendAsync(call, _abort.Token).AsTask();
            return await pending.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _callbacks.TryRemove(xid, out _);
        }
    }

    /// <summary>Reply bytes charged to this connection now (queued and expected).</summary>
    public long ReplyBytes => _replies.Used;

    public async Task RunAsync()
    {
        PipeReader input = _context.Transport.Input;
        CancellationToken closed = _abort.Token;
        using CancellationTokenRegistration peerGone = _context.ConnectionClosed.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _abort);
        // Server shutdown: stop reading new calls (the loop ends on a canceled read), let the calls in
        // flight finish, then close, so an idle mount does not hold SIGTERM for the whole shutdown timeout.
        using CancellationTokenRegistration stopping = _context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .UnsafeRegister(static s => ((PipeReader)s!).CancelPendingRead(), input) ?? default;
        using var assembler = new RecordAssembler(_limits.MaxRecordSize);
        Interlocked.Increment(ref _inFlight); // the read loop itself
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(closed);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (assembler.TryRead(ref buffer, out byte[]? record, out int length))
                    {
                        // Waiting for reply room below is our choice, not the client's: no record clock meanwhile.
                        Volatile.Write(ref _recordStarted, 0);
                        Volatile.Write(ref _lastActivity, Environment.TickCount64);
                        if (!await StartCallAsync(record, length, closed)) return;
                    }
                    if (!assembler.HasPartialRecord && buffer.Length == 0) Volatile.Write(ref _recordStarted, 0);
                    else if (Volatile.Read(ref _recordStarted) == 0) Volatile.Write(ref _recordStarted, Environment.TickCount64);
                    if (result.IsCompleted || result.IsCanceled) return;
                }
                finally
                {
                    // Everything read was copied into the record being assembled.
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (RecordMarkingException ex)
        {
            RpcLog.ConnectionRejected(_logger, ConnectionId, ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
        catch (ConnectionResetException)
        {
        }
        catch (Exception ex)
        {
            RpcLog.ConnectionFailed(_logger, ex, ConnectionId);
        }
        finally
        {
            Volatile.Write(ref _closed, 1);
            foreach (TaskCompletionSource<byte[]?> pending in _callbacks.Values) pending.TrySetResult(null);
            Volatile.Write(ref _recordStarted, 0);
            // Let calls in flight finish (their replies are dropped if the peer is gone) before Kestrel disposes the transport.
            if (Interlocked.Decrement(ref _inFlight) != 0) await _drained.Task;
            await input.CompleteAsync();
        }
    }

    /// <summary>Closes the connection if one of its deadlines passed (called by the watchdog).</summary>
    public void CheckDeadlines(long now)
    {
        long slice = Volatile.Read(ref _sliceStarted);
        if (slice != 0 && now - slice > _limits.ReplyTimeoutMs)
        {
            Abort("reply_timeout", $"its replies were not read for {_limits.ReplyTimeoutMs / 1000.0:0.#} s");
            return;
        }
        long record = Volatile.Read(ref _recordStarted);
        if (record != 0 && now - record > _limits.RecordTimeoutMs)
        {
            Abort("record_timeout", $"a record was not completed within {_limits.RecordTimeoutMs / 1000.0:0.#} s");
            return;
        }
        if (record == 0 && slice == 0 && Volatile.Read(ref _inFlight) == 1 && now - Volatile.Read(ref _lastActivity) > _limits.IdleTimeoutMs)
        {
            Abort("idle_timeout", $"no call for {_limits.IdleTimeoutMs / 1000.0:0.#} s");
        }
    }

    private void Abort(string kind, string reason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
        RpcLog.ConnectionRejected(_logger, ConnectionId, reason);
        _dispatcher.Metrics.ConnectionDropped(kind);
        _context.Abort(new ConnectionAbortedException(reason));
        _abort.Cancel();
    }

    /// <summary>Parses the header, then runs the call in the background. False: close the connection.</summary>
    private async ValueTask<bool> StartCallAsync(byte[] record, int length, CancellationToken closed)
    {
        long started = Stopwatch.GetTimestamp();
        _dispatcher.Metrics.RecordReceived(length);
        HeaderParse parse = CallHeaderParser.Parse(record.AsMemory(0, length), out CallHeader header);
        switch (parse)
        {
            case HeaderParse.Malformed:
                BufferPool.Return(record);
                RpcLog.ConnectionRejected(_logger, ConnectionId, "unreadable RPC header");
                return false;
            case HeaderParse.Reply:
                // A reply to a call we sent on this connection's back channel; one we did not send (or gave up on) is dropped.
                if (_callbacks.TryRemove(header.Xid, out TaskCompletionSource<byte[]?>? waiting))
                {
                    waiting.TrySetResult(record.AsSpan(0, length).ToArray());
                }
                BufferPool.Return(record);
                return true;
            case HeaderParse.RpcVersionMismatch:
                BufferPool.Return(record);
                ReplyBuffer mismatch = ReplyBuffer.Rent();
                RpcCall.WriteRpcMismatch(mismatch, header.Xid);
                await SendAsync(mismatch, closed);
                return true;
        }

        var call = RpcCall.Rent(record, length, header, this);
        int hint = _dispatcher.ReplySizeHint(call);
        long reserved = hint > 0 ? hint : Volatile.Read(ref _replyEstimate);
        try
        {
            await _perConnection.WaitAsync(closed);
            await ReserveAsync(reserved, closed);
        }
        catch
        {
            call.Dispose();
            throw;
        }
        try
        {
            await _limits.Global.WaitAsync(closed);
        }
        catch
        {
            call.Dispose();
            ReleaseReplyBytes(reserved);
            throw;
        }
        Interlocked.Increment(ref _inFlight);
        _dispatcher.Metrics.CallStarted();
        _ = RunCallAsync(call, started, reserved, closed);
        return true;
    }

    /// <summary>Takes <paramref name="bytes"/> of reply room here and server-wide, waiting while either is full.</summary>
    private async ValueTask ReserveAsync(long bytes, CancellationToken closed)
    {
        if (TryReserve(bytes)) return;
        _dispatcher.Metrics.ReplyWait();
        while (true)
        {
            // Ask for the wake-up before trying again, so a release in between is not missed.
            Task here = _replies.WhenReleased();
            Task everywhere = _limits.Replies.WhenReleased();
            if (TryReserve(bytes)) return;
            await Task.WhenAny(here, everywhere, Task.Delay(1000, closed));
            closed.ThrowIfCancellationRequested();
        }
    }

    private bool TryReserve(long bytes)
    {
        if (!_replies.TryTake(bytes)) return false;
        if (_limits.Replies.TryTake(bytes)) return true;
        _replies.Untake(bytes); // only this read loop waits on this connection's budget
        return false;
    }

    private void ReleaseReplyBytes(long bytes)
    {
        _replies.Release(bytes);
        _limits.Replies.Release(bytes);
    }

    private async Task RunCallAsync(RpcCall call, long started, long charged, CancellationToken closed)
    {
        await Task.Yield(); // leave the read loop free to read the next record
        bool counted = false;
        bool globalReleased = false;
        try
        {
            await _dispatcher.DispatchAsync(call);
            _dispatcher.Metrics.CallCompleted(call, started);
            counted = true;
            // The server-wide slot bounds work, not delivery: a peer that never reads its replies
            // blocks only its own connection (its per-connection slots), never everyone's calls.
            _limits.Global.Release();
            globalReleased = true;
            ReplyBuffer? reply = call.TakeReply();
            if (reply is not null)
            {
                int size = reply.BodyLength + 4;
                // The next calls expect a reply like the largest recent one (decaying by an eighth per call).
                int estimate = Volatile.Read(ref _replyEstimate);
                Volatile.Write(ref _replyEstimate, Math.Max(MinReplyEstimate, Math.Max(size, estimate - estimate / 8)));
                _replies.Adjust(size - charged);
                _limits.Replies.Adjust(size - charged);
                charged = size;
                await SendAsync(reply, closed);
            }
        }
        catch (Exception ex)
        {
            RpcLog.ConnectionFailed(_logger, ex, ConnectionId);
        }
        finally
        {
            if (!counted) _dispatcher.Metrics.CallCompleted(call, started);
            call.Dispose();
            ReleaseReplyBytes(charged);
            if (!globalReleased) _limits.Global.Release();
            _perConnection.Release();
            if (Interlocked.Decrement(ref _inFlight) == 0) _drained.TrySetResult();
        }
    }

    private async ValueTask SendAsync(ReplyBuffer reply, CancellationToken closed)
    {
        try
        {
            await _writeLock.WaitAsync(closed);
            try
            {
                _dispatcher.Metrics.RecordSent(reply.BodyLength);
                ReadOnlyMemory<byte> record = reply.SealRecord();
                PipeWriter output = _context.Transport.Output;
                for (int offset = 0; offset < record.Length; offset += WriteSlice)
                {
                    Volatile.Write(ref _sliceStarted, Environment.TickCount64);
                    FlushResult flushed = await output.WriteAsync(record.Slice(offset, Math.Min(WriteSlice, record.Length - offset)), closed);
                    if (flushed.IsCompleted || flushed.IsCanceled) break;
                }
            }
            finally
            {
                Volatile.Write(ref _sliceStarted, 0);
                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                _writeLock.Release();
            }
        }
        catch (OperationCanceledException)
        {
            // Closed (by the peer or a deadline) while waiting to write.
        }
        catch (Exception) when (_context.ConnectionClosed.IsCancellationRequested || closed.IsCancellationRequested)
        {
            // The peer went away; nothing to send to.
        }
        catch (InvalidOperationException)
        {
            // Writer completed: the connection is closing.
        }
        finally
        {
            ReplyBuffer.Return(reply);
        }
    }
}
