using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DittoFs.Xdr;

namespace DittoFs.Server.Rpc;

/// <summary>
/// Calls to another host's RPC services (NLM_GRANTED to a client's lockd, SM_NOTIFY to its statd),
/// each on a new TCP connection, as knfsd's lockd and statd call clients: the port comes from the
/// host's portmapper (GETPORT, RFC 1833 §3), the call carries AUTH_NULL, and everything has a
/// deadline. No reply (refused, unreachable, timed out, not SUCCESS) is null, never an exception.
/// <code>
/// call: xid | CALL(0) | rpcvers 2 | prog | vers | proc | cred AUTH_NULL(0, 0) | verf AUTH_NULL(0, 0) | args
/// reply: xid | REPLY(1) | MSG_ACCEPTED(0) | verf (flavor, opaque) | SUCCESS(0) | results
/// </code>
/// </summary>
internal static class RpcOutbound
{
    private const int IpProtoTcp = 6;
    private const int MaxReply = 64 * 1024;
    private static int s_xid = Random.Shared.Next();

    /// <summary>The arguments of a call, XDR-encoded.</summary>
    public static byte[] Encode<T>(in T args) where T : IXdrCodec<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new XdrWriter(buffer);
        args.Encode(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>GETPORT(prog, vers, TCP) at the host's portmapper: the port, or 0 when not registered or no answer.</summary>
    public static async Task<int> GetPortAsync(IPAddress host, int portmapPort, uint program, uint version, TimeSpan timeout)
    {
        byte[] args = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(args, program);
        BinaryPrimitives.WriteUInt32BigEndian(args.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32BigEndian(args.AsSpan(8), IpProtoTcp);
        byte[]? result = await CallAsync(new IPEndPoint(host, portmapPort), RpcPrograms.Portmap, 2, 3, args, timeout);
        return result is { Length: >= 4 } ? (int)BinaryPrimitives.ReadUInt32BigEndian(result) : 0;
    }

    /// <summary>
    /// One call on a new connection: the results of a SUCCESS reply, or null. <paramref name="credential"/> is the
    /// opaque_auth of the call, flavor and body as on the wire (empty: AUTH_NULL).
    /// </summary>
    public static async Task<byte[]?> CallAsync(IPEndPoint target, uint program, uint version, uint procedure, ReadOnlyMemory<byte> args, TimeSpan timeout,
        ReadOnlyMemory<byte> credential = default)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(target, deadline.Token);
            uint xid = unchecked((uint)Interlocked.Increment(ref s_xid));
            int credentialLength = credential.IsEmpty ? 8 : credential.Length;
            byte[] record = new byte[4 + 24 + credentialLength + 8 + args.Length];
            Span<byte> r = record;
            BinaryPrimitives.WriteUInt32BigEndian(r, 0x80000000u | (uint)(record.Length - 4)); // last fragment
            uint[] header = [xid, 0, RpcPrograms.RpcVersion, program, version, procedure];
            for (int i = 0; i < header.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(r[(4 + 4 * i)..], header[i]);
            credential.Span.CopyTo(r[28..]); // none: AUTH_NULL, the zeros already there; the verifier is AUTH_NULL too
            args.Span.CopyTo(r[(28 + credentialLength + 8)..]);
            await socket.SendAsync(record, SocketFlags.None, deadline.Token);
            while (true)
            {
                byte[] reply = await ReceiveRecordAsync(socket, deadline.Token);
                if (reply.Length < 24 || BinaryPrimitives.ReadUInt32BigEndian(reply) != xid) continue; // not ours
                return ParseSuccess(reply);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or InvalidDataException)
        {
            return null;
        }
    }

    private static byte[]? ParseSuccess(byte[] reply)
    {
        ReadOnlySpan<byte> s = reply;
        if (BinaryPrimitives.ReadUInt32BigEndian(s[4..]) != 1 || BinaryPrimitives.ReadUInt32BigEndian(s[8..]) != 0) return null;
        uint verifierLength = BinaryPrimitives.ReadUInt32BigEndian(s[16..]);
        if (verifierLength > RpcPrograms.MaxAuthBytes) return null;
        int at = 20 + (int)((verifierLength + 3) & ~3u);
        if (s.Length < at + 4 || BinaryPrimitives.ReadUInt32BigEndian(s[at..]) != 0) return null;
        return s[(at + 4)..].ToArray();
    }

    /// <summary>One whole record (its fragments joined); InvalidDataException past <see cref="MaxReply"/>.</summary>
    private static async Task<byte[]> ReceiveRecordAsync(Socket socket, CancellationToken cancel)
    {
        var record = new MemoryStream();
        byte[] mark = new byte[4];
        while (true)
        {
            await ReceiveExactlyAsync(socket, mark, cancel);
            uint word = BinaryPrimitives.ReadUInt32BigEndian(mark);
            int length = (int)(word & 0x7FFFFFFF);
            if (record.Length + length > MaxReply) throw new InvalidDataException("reply too large");
            byte[] fragment = new byte[length];
            await ReceiveExactlyAsync(socket, fragment, cancel);
            record.Write(fragment);
            if ((word & 0x80000000) != 0) return record.ToArray();
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancel)
    {
        while (buffer.Length > 0)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel);
            if (n == 0) throw new IOException("closed");
            buffer = buffer[n..];
        }
    }
}
