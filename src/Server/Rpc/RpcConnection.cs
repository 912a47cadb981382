using System.Buffers;
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
/// </summary>
internal sealed class RpcConnection : IRpcConnection
{
    private readonly ConnectionContext _context;
    private readonly Dispatcher _dispatcher;
    private readonly RpcLimits _limits;
    private readonly ILogger _logger;
    private readonly int _maxRecordSize;
    private readonly SemaphoreSlim _perConnection;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _inFlight;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RpcConnection(ConnectionContext context, Dispatcher dispatcher, RpcLimits limits, int maxRecordSize, int maxCallsPerConnection, ILogger logger)
    {
        _context = context;
        _dispatcher = dispatcher;
        _limits = limits;
        _maxRecordSize = maxRecordSize;
        _logger = logger;
        _perConnection = new SemaphoreSlim(maxCallsPerConnection, maxCallsPerConnection);
        RemoteEndPoint = context.RemoteEndPoint as IPEndPoint;
        LocalPort = (context.LocalEndPoint as IPEndPoint)?.Port ?? 0;
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public int LocalPort { get; }

    public string ConnectionId => _context.ConnectionId;

    public async Task RunAsync()
    {
        PipeReader input = _context.Transport.Input;
        CancellationToken closed = _context.ConnectionClosed;
        using var assembler = new RecordAssembler(_maxRecordSize);
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
                        if (!await StartCallAsync(record, length, closed)) return;
                    }
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
            // Let calls in flight finish (their replies are dropped if the peer is gone) before Kestrel disposes the transport.
            if (Interlocked.Decrement(ref _inFlight) != 0) await _drained.Task;
            await input.CompleteAsync();
        }
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
                ArrayPool<byte>.Shared.Return(record);
                RpcLog.ConnectionRejected(_logger, ConnectionId, "unreadable RPC header");
                return false;
            case HeaderParse.Reply:
                // Replies only come on NFSv4.1 back channels; ignore them here.
                ArrayPool<byte>.Shared.Return(record);
                return true;
            case HeaderParse.RpcVersionMismatch:
                ArrayPool<byte>.Shared.Return(record);
                ReplyBuffer mismatch = ReplyBuffer.Rent();
                RpcCall.WriteRpcMismatch(mismatch, header.Xid);
                await SendAsync(mismatch);
                return true;
        }

        await _perConnection.WaitAsync(closed);
        await _limits.Global.WaitAsync(closed);
        Interlocked.Increment(ref _inFlight);
        _dispatcher.Metrics.CallStarted();
        var call = new RpcCall(record, length, header, this);
        _ = RunCallAsync(call, started);
        return true;
    }

    private async Task RunCallAsync(RpcCall call, long started)
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
            if (reply is not null) await SendAsync(reply);
        }
        catch (Exception ex)
        {
            RpcLog.ConnectionFailed(_logger, ex, ConnectionId);
        }
        finally
        {
            if (!counted) _dispatcher.Metrics.CallCompleted(call, started);
            call.Dispose();
            if (!globalReleased) _limits.Global.Release();
            _perConnection.Release();
            if (Interlocked.Decrement(ref _inFlight) == 0) _drained.TrySetResult();
        }
    }

    private async ValueTask SendAsync(ReplyBuffer reply)
    {
        try
        {
            await _writeLock.WaitAsync();
            try
            {
                _dispatcher.Metrics.RecordSent(reply.BodyLength);
                await _context.Transport.Output.WriteAsync(reply.SealRecord());
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception) when (_context.ConnectionClosed.IsCancellationRequested)
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
