using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DittoFs.Xdr;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// The RPC services of an NFSv3 client host the server calls back: a portmapper that names itself for
/// every program (GETPORT), a lockd that answers NLM_GRANTED with <see cref="GrantedAnswer"/>, and a statd
/// that takes SM_NOTIFY. Every call it gets is kept in <see cref="Calls"/> (program, procedure, arguments).
/// </summary>
public sealed class FakeClientHost : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public FakeClientHost()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>nlm4_stats the lockd answers NLM_GRANTED with (0 = GRANTED).</summary>
    public int GrantedAnswer { get; set; }

    public BlockingCollection<(uint Program, uint Procedure, byte[] Args)> Calls { get; } = new();

    private TaskCompletionSource _unstall = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stalled;

    /// <summary>While set, calls are kept but answered only once it is cleared (a client host that does not answer).</summary>
    public bool Stalled
    {
        get => _stalled;
        set
        {
            _stalled = value;
            if (value) _unstall = new(TaskCreationOptions.RunContinuationsAsynchronously);
            else _unstall.TrySetResult();
        }
    }

    /// <summary>The next call of this program and procedure within the timeout (others are skipped); null when none came.</summary>
    public byte[]? WaitFor(uint program, uint procedure, TimeSpan timeout)
    {
        DateTime until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (Calls.TryTake(out var call, until - DateTime.UtcNow > TimeSpan.Zero ? until - DateTime.UtcNow : TimeSpan.Zero)
                && call.Program == program && call.Procedure == procedure) return call.Args;
        }
        return null;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                byte[] mark = new byte[4];
                while (true)
                {
                    await stream.ReadExactlyAsync(mark, _stop.Token);
                    byte[] record = new byte[BinaryPrimitives.ReadUInt32BigEndian(mark) & 0x7FFFFFFF];
                    await stream.ReadExactlyAsync(record, _stop.Token);
                    Task unstall = _unstall.Task;
                    bool stalled = _stalled;
                    byte[] reply = Answer(record);
                    if (stalled) await unstall.WaitAsync(_stop.Token);
                    BinaryPrimitives.WriteUInt32BigEndian(mark, 0x80000000u | (uint)reply.Length);
                    await stream.WriteAsync(mark, _stop.Token);
                    await stream.WriteAsync(reply, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or ObjectDisposedException)
            {
            }
        }
    }

    private byte[] Answer(byte[] record)
    {
        ReadOnlySpan<byte> s = record;
        uint xid = BinaryPrimitives.ReadUInt32BigEndian(s);
        uint program = BinaryPrimitives.ReadUInt32BigEndian(s[12..]);
        uint procedure = BinaryPrimitives.ReadUInt32BigEndian(s[20..]);
        int at = 24;
        for (int i = 0; i < 2; i++) at += 8 + (int)((BinaryPrimitives.ReadUInt32BigEndian(s[(at + 4)..]) + 3) & ~3u); // cred, verf
        byte[] args = s[at..].ToArray();
        Calls.Add((program, procedure, args));
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        w.WriteUInt32(xid);
        w.WriteUInt32(1); // REPLY
        w.WriteUInt32(0); // MSG_ACCEPTED
        w.WriteUInt32(0); // verifier AUTH_NULL
        w.WriteUInt32(0);
        w.WriteUInt32(0); // SUCCESS
        if (program == 100000 && procedure == 3) w.WriteUInt32((uint)Port);
        if (program == 100021 && procedure == 5)
        {
            var r = new XdrReader(args);
            byte[] cookie = r.ReadOpaqueArray();
            w.WriteOpaque(cookie);
            w.WriteInt32(GrantedAnswer);
        }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
