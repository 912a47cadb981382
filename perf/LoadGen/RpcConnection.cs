using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using DittoFs.Xdr;

namespace DittoFs.LoadGen;

/// <summary>
/// One TCP connection speaking ONC RPC (RFC 5531) with record marking, AUTH_SYS uid 0 / gid 0,
/// one call in flight. The send and receive buffers are reused for every call: building a call
/// writes into <see cref="Begin"/>'s writer, <see cref="Call"/> sends it and returns the reply
/// results as a slice of the receive buffer, valid until the next call.
/// </summary>
public sealed class RpcConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly ArrayBufferWriter<byte> _send = new(64 * 1024);
    private byte[] _recv = new byte[64 * 1024];
    private readonly byte[] _mark = new byte[4];
    private readonly byte[] _cred;
    private uint _xid = (uint)Random.Shared.Next(1, int.MaxValue);
    private uint _pendingXid;

    public RpcConnection(string host, int port, string machineName = "loadgen")
    {
        _socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 60_000, SendTimeout = 60_000 };
        _socket.Connect(host, port);
        var cred = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(cred);
        w.WriteUInt32(0);                 // stamp
        w.WriteString(machineName);
        w.WriteUInt32(0);                 // uid 0
        w.WriteUInt32(0);                 // gid 0
        w.WriteUInt32(0);                 // no aux gids
        w.Flush();
        _cred = cred.WrittenSpan.ToArray();
    }

    /// <summary>Starts a call: the record mark placeholder and the RPC header are written, the caller appends the arguments.</summary>
    public IBufferWriter<byte> Begin(uint program, uint version, uint procedure)
    {
        _send.ResetWrittenCount();
        _pendingXid = ++_xid;
        var w = new XdrWriter(_send);
        w.WriteUInt32(0);                 // record mark, patched in Call
        w.WriteUInt32(_pendingXid);
        w.WriteInt32(0);                  // CALL
        w.WriteUInt32(2);                 // RPC version
        w.WriteUInt32(program);
        w.WriteUInt32(version);
        w.WriteUInt32(procedure);
        w.WriteInt32(1);                  // AUTH_SYS
        w.WriteOpaque(_cred);
        w.WriteInt32(0);                  // verifier AUTH_NONE
        w.WriteInt32(0);
        w.Flush();
        return _send;
    }

    /// <summary>Sends the call built since <see cref="Begin"/> and returns the results of an accepted, successful reply.</summary>
    public ReadOnlyMemory<byte> Call()
    {
        int length = _send.WrittenCount;
        // The written span is ours until the next ResetWrittenCount: patch the record mark in place.
        Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsMemory(_send.WrittenMemory).Span;
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x8000_0000u | (uint)(length - 4));
        SendAll(bytes);
        int size = ReceiveRecord();
        return ParseReply(_recv.AsMemory(0, size), _pendingXid);
    }

    internal static ReadOnlyMemory<byte> ParseReply(ReadOnlyMemory<byte> record, uint xid)
    {
        var r = new XdrReader(record);
        uint replyXid = r.ReadUInt32();
        if (replyXid != xid) throw new RpcException($"reply xid {replyXid} != call xid {xid}");
        if (r.ReadInt32() != 1) throw new RpcException("not a REPLY");
        int replyStat = r.ReadInt32();
        if (replyStat != 0) throw new RpcException($"RPC call denied (reject_stat {r.ReadInt32()})");
        _ = r.ReadInt32();                // verifier flavor
        _ = r.ReadOpaque(400);
        int accept = r.ReadInt32();
        if (accept != 0) throw new RpcException($"RPC call not accepted (accept_stat {accept})");
        return record[(int)r.Consumed..];
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = _socket.Send(data);
            if (n <= 0) throw new RpcException("connection closed while sending");
            data = data[n..];
        }
    }

    private void ReceiveExactly(Span<byte> into)
    {
        while (!into.IsEmpty)
        {
            int n = _socket.Receive(into);
            if (n <= 0) throw new RpcException("connection closed by the server");
            into = into[n..];
        }
    }

    /// <summary>Reads one whole record (all fragments) into the receive buffer; returns its length.</summary>
    private int ReceiveRecord()
    {
        int total = 0;
        while (true)
        {
            ReceiveExactly(_mark);
            uint header = BinaryPrimitives.ReadUInt32BigEndian(_mark);
            int fragment = (int)(header & 0x7FFF_FFFF);
            if (total + fragment > _recv.Length)
            {
                if (total + fragment > 64 * 1024 * 1024) throw new RpcException($"record of {total + fragment} bytes is too large");
                Array.Resize(ref _recv, Math.Max(_recv.Length * 2, total + fragment));
            }
            ReceiveExactly(_recv.AsSpan(total, fragment));
            total += fragment;
            if ((header & 0x8000_0000) != 0) return total;
        }
    }

    public void Dispose() => _socket.Dispose();

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

public sealed class RpcException(string message) : Exception(message);
