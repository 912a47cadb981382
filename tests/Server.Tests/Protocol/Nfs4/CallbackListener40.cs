using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>One call the server made to a <see cref="CallbackListener40"/>: header, and a reader at its arguments.</summary>
public sealed record ReceivedCallback(uint Xid, uint Program, uint Version, uint Procedure, uint Flavor, XdrReaderBox Args);

/// <summary>
/// A fake NFSv4.0 client callback service on a loopback address (what a client names in SETCLIENTID): it records
/// every call, answers CB_NULL, and answers a CB_COMPOUND with NFS4_OK for its one op, or (<see cref="AnswerCompounds"/>
/// false) closes the connection without a reply, as a client whose callback service died.
/// </summary>
public sealed class CallbackListener40 : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly BlockingCollection<ReceivedCallback> _calls = new();
    private int _connections;

    public CallbackListener40(IPAddress? address = null)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public bool AnswerCompounds { get; set; } = true;

    /// <summary>Connections the server opened to this listener.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The listener as a "tcp" universal address (RFC 5665): h1.h2.h3.h4.p1.p2.</summary>
    public string UniversalAddress => $"{Endpoint.Address}.{Endpoint.Port >> 8}.{Endpoint.Port & 0xFF}";

    /// <summary>The next call the server made; fails the test when none comes in time.</summary>
    public ReceivedCallback Next(int timeoutMs = 10_000)
    {
        Assert.True(_calls.TryTake(out ReceivedCallback? call, timeoutMs), "no callback came from the server");
        return call!;
    }

    public bool TryNext(int timeoutMs, out ReceivedCallback? call) => _calls.TryTake(out call, timeoutMs);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                TcpClient tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = ServeAsync(tcp);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(TcpClient tcp)
    {
        using (tcp)
        {
            NetworkStream stream = tcp.GetStream();
            try
            {
                while (true)
                {
                    byte[] record = await ReadRecordAsync(stream);
                    var r = new XdrReaderBox(record);
                    uint xid = r.UInt32();
                    _ = r.UInt32();               // CALL
                    _ = r.UInt32();               // RPC version 2
                    uint program = r.UInt32(), version = r.UInt32(), procedure = r.UInt32(), flavor = r.UInt32();
                    _ = r.Opaque();
                    _ = r.UInt32();
                    _ = r.Opaque();
                    _calls.Add(new ReceivedCallback(xid, program, version, procedure, flavor, r));
                    if (procedure != 0 && !AnswerCompounds) return;
                    var reply = new XdrWriterBox();
                    foreach (uint word in new uint[] { xid, 1, 0, 0, 0, 0 }) reply.UInt32(word); // REPLY, accepted, AUTH_NONE verifier, SUCCESS
                    if (procedure != 0)
                    {
                        reply.UInt32(0);          // NFS4_OK
                        reply.Opaque([]);         // tag
                        reply.UInt32(1);
                        reply.UInt32(4);          // CB_RECALL
                        reply.UInt32(0);
                    }
                    byte[] mark = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(mark, 0x8000_0000u | (uint)reply.Bytes.Length);
                    await stream.WriteAsync(mark);
                    await stream.WriteAsync(reply.Bytes.ToArray());
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
            {
            }
        }
    }

    private async Task<byte[]> ReadRecordAsync(NetworkStream stream)
    {
        var record = new List<byte>();
        byte[] mark = new byte[4];
        while (true)
        {
            await stream.ReadExactlyAsync(mark, _stop.Token);
            uint word = BinaryPrimitives.ReadUInt32BigEndian(mark);
            byte[] fragment = new byte[word & 0x7FFF_FFFF];
            await stream.ReadExactlyAsync(fragment, _stop.Token);
            record.AddRange(fragment);
            if ((word & 0x8000_0000) != 0) return [.. record];
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
