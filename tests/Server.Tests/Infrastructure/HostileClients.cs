using System.Buffers.Binary;
using System.Net;
using DittoFs.Server.Protocol.Nfs3;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>A client sending READ calls as fast as it can and never reading a reply; it stops when the server closes it.</summary>
public sealed class NonReader : IDisposable
{
    private readonly RpcClient _client;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _sent;
    private long _closedAt;
    private long _closedTimestamp;

    public NonReader(int port, byte[] file, uint count, IPAddress? localAddress = null)
    {
        _client = new RpcClient(port, localAddress, receiveBufferSize: 64 * 1024);
        _client.Stream.Socket.SendBufferSize = 64 * 1024;
        var started = System.Diagnostics.Stopwatch.StartNew();
        // The same call (READ is not in the duplicate request cache) many times per send: the attack
        // costs the test process little CPU, which its bystanders share.
        byte[] call = _client.BuildCall(1, Nfs3Client.NfsProgram, 3, (uint)Nfs3Procedure.Read,
            a => a.Write(new Read3Args { File = Nfs3Client.Fh(file), Offset = 0, Count = count }));
        const int PerSend = 64;
        byte[] burst = new byte[PerSend * (call.Length + 4)];
        for (int i = 0; i < PerSend; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(burst.AsSpan(i * (call.Length + 4)), 0x8000_0000u | (uint)call.Length);
            call.CopyTo(burst, i * (call.Length + 4) + 4);
        }
        _thread = new Thread(() =>
        {
            try
            {
                while (!_stop)
                {
                    _client.SendRaw(burst);
                    Interlocked.Add(ref _sent, PerSend);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                if (!_stop)
                {
                    Interlocked.Exchange(ref _closedTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
                    Interlocked.Exchange(ref _closedAt, Math.Max(1, started.ElapsedMilliseconds));
                }
            }
        }) { IsBackground = true, Name = "non-reader" };
        _thread.Start();
    }

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Milliseconds from the start until a send failed because the server closed the connection; 0 while open.</summary>
    public long ClosedAtMs => Interlocked.Read(ref _closedAt);

    /// <summary>The <see cref="System.Diagnostics.Stopwatch"/> timestamp of that moment; long.MaxValue while open.</summary>
    public long ClosedTimestamp => ClosedAtMs > 0 ? Interlocked.Read(ref _closedTimestamp) : long.MaxValue;

    public bool WaitClosed(TimeSpan timeout) => _thread.Join(timeout) && ClosedAtMs > 0;

    public void Dispose()
    {
        _stop = true;
        _client.Dispose();
        _thread.Join(TimeSpan.FromSeconds(10));
    }
}

/// <summary>Raw record bytes for hostile tests.</summary>
public static class HostileRecords
{
    /// <summary>The record mark of a last fragment of <paramref name="length"/> bytes, then <paramref name="bodyBytes"/> zero bytes of it.</summary>
    public static byte[] PartialRecord(int length, int bodyBytes)
    {
        byte[] bytes = new byte[4 + bodyBytes];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x8000_0000u | (uint)length);
        return bytes;
    }
}
