using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DittoFs.Xdr;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>A raw ONC RPC client over a real TCP socket, for protocol tests.</summary>
public sealed class RpcClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private uint _xid = (uint)Random.Shared.Next(1, int.MaxValue);

    /// <summary>Connects to the server on 127.0.0.1; from <paramref name="localAddress"/> if given (another loopback address, e.g. 127.0.0.2, is another client address).</summary>
    /// <param name="receiveBufferSize">SO_RCVBUF before connecting (0 = the system's): small, a client that does not read is stuck sooner.</param>
    public RpcClient(int port, IPAddress? localAddress = null, int receiveBufferSize = 0)
    {
        _tcp = localAddress is null ? new TcpClient() : new TcpClient(new IPEndPoint(localAddress, 0));
        if (receiveBufferSize > 0) _tcp.ReceiveBufferSize = receiveBufferSize;
        _tcp.Connect("127.0.0.1", port);
        _tcp.NoDelay = true;
        _stream = _tcp.GetStream();
        _stream.ReadTimeout = 15000;
    }

    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint[] Gids { get; set; } = [];
    /// <summary>0 = AUTH_NONE, 1 = AUTH_SYS (default), anything else is sent with an empty body.</summary>
    public int Flavor { get; set; } = 1;

    public NetworkStream Stream => _stream;

    /// <summary>Builds the bytes of a CALL (without record mark).</summary>
    public byte[] BuildCall(uint xid, uint program, uint version, uint procedure, Action<XdrWriterBox>? args)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        w.WriteUInt32(xid);
        w.WriteInt32(0); // CALL
        w.WriteUInt32(2);
        w.WriteUInt32(program);
        w.WriteUInt32(version);
        w.WriteUInt32(procedure);
        w.WriteInt32(Flavor);
        if (Flavor == 1)
        {
            var cred = new ArrayBufferWriter<byte>();
            var cw = new XdrWriter(cred);
            cw.WriteUInt32(0);
            cw.WriteString("test");
            cw.WriteUInt32(Uid);
            cw.WriteUInt32(Gid);
            cw.WriteUInt32((uint)Gids.Length);
            foreach (uint g in Gids) cw.WriteUInt32(g);
            cw.Flush();
            w.WriteOpaque(cred.WrittenSpan);
        }
        else
        {
            w.WriteInt32(0);
        }
        w.WriteInt32(0); // verifier AUTH_NONE
        w.WriteInt32(0);
        w.Flush();
        if (args is not null)
        {
            var box = new XdrWriterBox();
            args(box);
            buffer.Write(box.Bytes);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sends a call and returns the reply body (after the record mark).</summary>
    public RpcReply Call(uint program, uint version, uint procedure, Action<XdrWriterBox>? args = null)
    {
        uint xid = ++_xid;
        SendRecord(BuildCall(xid, program, version, procedure, args));
        byte[] reply = ReceiveRecord();
        var parsed = RpcReply.Parse(reply);
        if (parsed.Xid != xid) throw new InvalidOperationException($"xid {parsed.Xid} != {xid}");
        return parsed;
    }

    public void SendRecord(ReadOnlySpan<byte> body)
    {
        byte[] mark = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mark, 0x8000_0000u | (uint)body.Length);
        _stream.Write(mark);
        _stream.Write(body);
    }

    public void SendRaw(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    /// <summary>
    /// The next REPLY record. CALLs the server sends on this connection (an NFSv4.1 back channel) are put
    /// aside in <see cref="Calls"/> (a client that does not answer them is one whose back channel is down).
    /// </summary>
    public byte[] ReceiveRecord()
    {
        while (true)
        {
            byte[] record = ReceiveAnyRecord();
            if (!IsCall(record)) return record;
            Calls.Enqueue(record);
        }
    }

    /// <summary>CALL records the server sent on this connection, oldest first, not yet taken.</summary>
    public Queue<byte[]> Calls { get; } = new();

    /// <summary>The next CALL from the server (one put aside, or the next record, which must be one).</summary>
    public byte[] ReceiveCall()
    {
        if (Calls.TryDequeue(out byte[]? call)) return call;
        byte[] record = ReceiveAnyRecord();
        if (!IsCall(record)) throw new InvalidOperationException("expected a CALL from the server, got a reply");
        return record;
    }

    private static bool IsCall(byte[] record) => record.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(record.AsSpan(4)) == 0;

    public byte[] ReceiveAnyRecord()
    {
        var record = new List<byte>();
        while (true)
        {
            byte[] mark = ReadExactly(4);
            uint header = BinaryPrimitives.ReadUInt32BigEndian(mark);
            record.AddRange(ReadExactly((int)(header & 0x7FFF_FFFF)));
            if ((header & 0x8000_0000) != 0) return record.ToArray();
        }
    }

    /// <summary>True when the server closed the connection (read returns 0) within the timeout.</summary>
    public bool IsClosedByServer(int timeoutMs = 5000)
    {
        _stream.ReadTimeout = timeoutMs;
        try
        {
            byte[] one = new byte[1];
            while (true)
            {
                int n = _stream.Read(one);
                if (n == 0) return true;
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            return false; // still open when the timeout passed
        }
        catch (IOException)
        {
            return true; // reset also counts as closed
        }
    }

    private byte[] ReadExactly(int count)
    {
        byte[] data = new byte[count];
        _stream.ReadExactly(data);
        return data;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}

/// <summary>Collects argument bytes written with an XdrWriter inside a lambda (ref structs cannot be captured).</summary>
public sealed class XdrWriterBox
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlySpan<byte> Bytes => _buffer.WrittenSpan;

    public void Write<T>(in T value) where T : IXdrCodec<T>
    {
        var w = new XdrWriter(_buffer);
        value.Encode(ref w);
        w.Flush();
    }

    public void UInt32(uint v) { var w = new XdrWriter(_buffer); w.WriteUInt32(v); w.Flush(); }
    public void UInt64(ulong v) { var w = new XdrWriter(_buffer); w.WriteUInt64(v); w.Flush(); }
    public void Opaque(ReadOnlySpan<byte> v) { var w = new XdrWriter(_buffer); w.WriteOpaque(v); w.Flush(); }
    public void String(string v) { var w = new XdrWriter(_buffer); w.WriteString(v); w.Flush(); }
    public void Raw(ReadOnlySpan<byte> v) => _buffer.Write(v);
}

/// <summary>A parsed RPC reply: accepted (with accept_stat and results) or denied.</summary>
public sealed class RpcReply
{
    public uint Xid { get; private init; }
    public bool Accepted { get; private init; }
    /// <summary>accept_stat when accepted; reject_stat when denied.</summary>
    public int Status { get; private init; }
    /// <summary>auth_stat for AUTH_ERROR, or the low version for mismatches.</summary>
    public uint Detail1 { get; private init; }
    public uint Detail2 { get; private init; }
    public ReadOnlyMemory<byte> Results { get; private init; }

    public static RpcReply Parse(byte[] record)
    {
        var r = new XdrReader(record);
        uint xid = r.ReadUInt32();
        if (r.ReadInt32() != 1) throw new InvalidOperationException("not a reply");
        int replyStat = r.ReadInt32();
        if (replyStat == 0)
        {
            _ = r.ReadInt32();
            _ = r.ReadOpaque(400);
            int accept = r.ReadInt32();
            uint d1 = 0, d2 = 0;
            if (accept == 2) { d1 = r.ReadUInt32(); d2 = r.ReadUInt32(); }
            int offset = (int)r.Consumed;
            return new RpcReply { Xid = xid, Accepted = true, Status = accept, Detail1 = d1, Detail2 = d2, Results = record.AsMemory(offset) };
        }
        int reject = r.ReadInt32();
        uint a = r.ReadUInt32();
        uint b = reject == 0 ? r.ReadUInt32() : 0;
        return new RpcReply { Xid = xid, Accepted = false, Status = reject, Detail1 = a, Detail2 = b, Results = ReadOnlyMemory<byte>.Empty };
    }

    public T Decode<T>() where T : IXdrCodec<T>
    {
        if (!Accepted || Status != 0) throw new InvalidOperationException($"reply not SUCCESS: accepted={Accepted} status={Status}");
        var r = new XdrReader(Results);
        return T.Decode(ref r);
    }

    public XdrReaderBox Reader() => new(Results);
}

/// <summary>A reader position over reply results that can live in a class (for tests).</summary>
public sealed class XdrReaderBox(ReadOnlyMemory<byte> data)
{
    private int _offset;

    private T Read<T>(Func<ReadOnlyMemory<byte>, (T, int)> f)
    {
        (T value, int used) = f(data[_offset..]);
        _offset += used;
        return value;
    }

    public uint UInt32() => Read(m => { var r = new XdrReader(m); return (r.ReadUInt32(), (int)r.Consumed); });
    public int Int32() => Read(m => { var r = new XdrReader(m); return (r.ReadInt32(), (int)r.Consumed); });
    public ulong UInt64() => Read(m => { var r = new XdrReader(m); return (r.ReadUInt64(), (int)r.Consumed); });
    public bool Bool() => Read(m => { var r = new XdrReader(m); return (r.ReadBool(), (int)r.Consumed); });
    public byte[] Opaque() => Read(m => { var r = new XdrReader(m); return (r.ReadOpaqueArray(), (int)r.Consumed); });
    public string String() => Read(m => { var r = new XdrReader(m); return (r.ReadString(), (int)r.Consumed); });
    /// <summary>Fixed-length opaque (no length word; padded to 4).</summary>
    public byte[] Raw(int count) => Read(m => { var r = new XdrReader(m); return (r.ReadFixedOpaqueArray(count), (int)r.Consumed); });
    public T Decode<T>() where T : IXdrCodec<T> => Read(m => { var r = new XdrReader(m); return (T.Decode(ref r), (int)r.Consumed); });
}
