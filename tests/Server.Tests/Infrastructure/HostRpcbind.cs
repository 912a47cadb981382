using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// This host's rpcbind, when one serves port 111 (Debian's rpcbind package starts it): the kernel client in the guest
/// asks port 111 for the server's NLM, so a test that cannot serve port 111 itself registers the server's programs
/// there (PMAPPROC_SET through rpcbind's local socket, the only place it takes registrations from) and removes them on
/// dispose.
/// </summary>
public sealed class HostRpcbind : IDisposable
{
    private const string SocketPath = "/run/rpcbind.sock";
    private const uint ProtocolTcp = 6;
    private readonly List<(uint Program, uint Version)> _registered = [];

    /// <summary>Is port 111 of the loopback free for the server's own portmapper?</summary>
    public static bool PortFree()
    {
        try
        {
            var probe = new TcpListener(IPAddress.Loopback, 111);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Registers each (program, version) at <paramref name="port"/> (TCP); one registered already (by another server) is an error.</summary>
    public HostRpcbind(int port, params (uint Program, uint Version)[] programs)
    {
        if (!File.Exists(SocketPath)) throw new InvalidOperationException($"port 111 is taken and {SocketPath} is missing: no rpcbind to register with");
        foreach ((uint program, uint version) in programs)
        {
            if (!Call(1, program, version, (uint)port)) throw new InvalidOperationException($"rpcbind refused to register {program} v{version}");
            _registered.Add((program, version));
        }
    }

    /// <summary>PMAPPROC_SET (1) or UNSET (2) over rpcbind's stream socket; the bool it answers.</summary>
    private static bool Call(uint procedure, uint program, uint version, uint port)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
        uint[] words = [0x80000000u | 56, (uint)Random.Shared.Next(), 0, 2, 100000, 2, procedure, 0, 0, 0, 0, program, version, ProtocolTcp, port];
        byte[] record = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(4 * i), words[i]);
        socket.Send(record);
        byte[] reply = new byte[4 + 28];
        int read = 0;
        while (read < reply.Length)
        {
            int n = socket.Receive(reply, read, reply.Length - read, SocketFlags.None);
            if (n == 0) return false;
            read += n;
        }
        // mark, xid, REPLY, MSG_ACCEPTED, verifier (flavor, length 0), SUCCESS, bool
        return BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(24)) == 0 && BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(28)) == 1;
    }

    public void Dispose()
    {
        foreach ((uint program, uint version) in _registered) Call(2, program, version, 0);
    }
}
