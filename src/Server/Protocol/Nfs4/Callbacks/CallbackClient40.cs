using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4.Callbacks;

/// <summary>
/// The NFSv4.0 callback path (RFC 7530 §3.3.3, §16.33, §17): the server connects to the address the client named in
/// SETCLIENTID (cb_location, a universal address, RFC 5665 §5.2.3) and calls program cb_program version 1 there, a
/// new TCP connection per call (as RpcOutbound does for NLM), each with a deadline. The credential is AUTH_SYS as
/// root of this host: the Linux callback service refuses AUTH_NULL for anything but CB_NULL.
///
/// Only the host the client's own connection comes from is ever called: an address naming another host would make
/// the server a port scanner or a reflector for whoever sends SETCLIENTID (<see cref="Resolve"/>).
///
/// <code>
/// CB_NULL      proc 0: void
/// CB_COMPOUND  proc 1: utf8str_cs tag | uint32 minorversion (0) | uint32 callback_ident | nfs_cb_argop4 argarray&lt;&gt;
///   CB_RECALL (4): stateid4 | bool truncate | nfs_fh4
/// CB_COMPOUND4res: nfsstat4 | utf8str_cs tag | nfs_cb_resop4 resarray&lt;&gt;  (resop: op | nfsstat4)
/// </code>
/// </summary>
internal static class CallbackClient40
{
    private const uint CallbackVersion = 1;

    /// <summary>AUTH_SYS (1) | opaque body: stamp 0, machinename "dittofs", uid 0, gid 0, no gids.</summary>
    private static readonly byte[] s_credential = MakeCredential();

    /// <summary>
    /// The endpoint of a SETCLIENTID's cb_location: "tcp" with h1.h2.h3.h4.p1.p2 or "tcp6" with an IPv6 address and
    /// .p1.p2; null when it is malformed, port 0, or a host other than <paramref name="peer"/> (the address the
    /// client's connection comes from).
    /// </summary>
    public static IPEndPoint? Resolve(string netid, string address, IPAddress? peer)
    {
        if (peer is null) return null;
        int last = address.LastIndexOf('.');
        int second = last > 0 ? address.LastIndexOf('.', last - 1) : -1;
        if (second <= 0) return null;
        if (!byte.TryParse(address.AsSpan(second + 1, last - second - 1), NumberStyles.None, CultureInfo.InvariantCulture, out byte high)
            || !byte.TryParse(address.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out byte low))
        {
            return null;
        }
        int port = (high << 8) | low;
        if (port == 0 || !IPAddress.TryParse(address.AsSpan(0, second), out IPAddress? host)) return null;
        AddressFamily family = netid switch
        {
            "tcp" => AddressFamily.InterNetwork,
            "tcp6" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (host.AddressFamily != family) return null;
        return Normalize(host).Equals(Normalize(peer)) ? new IPEndPoint(host, port) : null;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>CB_NULL: does the client's callback service answer?</summary>
    public static async Task<bool> ProbeAsync(IPEndPoint target, uint program, TimeSpan timeout) =>
        await RpcOutbound.CallAsync(target, program, CallbackVersion, Nfs4Const.CbProcNull, ReadOnlyMemory<byte>.Empty, timeout, s_credential) is not null;

    /// <summary>CB_RECALL of a delegation (RFC 7530 §17.2): the client answers at once and returns it with DELEGRETURN later.</summary>
    public static async Task<CallbackOutcome> RecallAsync(IPEndPoint target, uint program, uint ident, Stateid4 stateid, FileId file, TimeSpan timeout)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var w = new XdrWriter(buffer);
        w.WriteOpaque(ReadOnlySpan<byte>.Empty); // tag
        w.WriteUInt32(0);                        // minorversion
        w.WriteUInt32(ident);                    // callback_ident of the SETCLIENTID
        w.WriteUInt32(1);
        w.WriteUInt32(Nfs4Const.OpCbRecall);
        stateid.Write(ref w);
        w.WriteBool(false);                      // truncate
        Span<byte> fh = stackalloc byte[FileHandle.Size];
        FileHandle.Write(file, fh);
        w.WriteOpaque(fh);
        w.Flush();
        byte[]? results = await RpcOutbound.CallAsync(target, program, CallbackVersion, Nfs4Const.CbProcCompound, buffer.WrittenMemory, timeout, s_credential);
        return results is null ? default : ReadResult(results);
    }

    /// <summary>CB_COMPOUND4res of one CB_RECALL: its status; a result for another op (or garbage) is no answer.</summary>
    private static CallbackOutcome ReadResult(byte[] results)
    {
        try
        {
            var r = new XdrReader(results);
            var status = (Nfs4Status)r.ReadInt32();
            _ = r.ReadOpaque(Nfs4Const.MaxTag);
            uint count = r.ReadUInt32();
            if (count == 0) return status == Nfs4Status.Ok ? default : new CallbackOutcome(true, status);
            if (count != 1 || r.ReadUInt32() != Nfs4Const.OpCbRecall) return default;
            return new CallbackOutcome(true, (Nfs4Status)r.ReadInt32());
        }
        catch (XdrException)
        {
            return default;
        }
    }

    private static byte[] MakeCredential()
    {
        var body = new ArrayBufferWriter<byte>(32);
        var b = new XdrWriter(body);
        b.WriteUInt32(0);
        b.WriteOpaque("dittofs"u8);
        b.WriteUInt32(0);
        b.WriteUInt32(0);
        b.WriteUInt32(0);
        b.Flush();
        var credential = new ArrayBufferWriter<byte>(64);
        var w = new XdrWriter(credential);
        w.WriteInt32((int)AuthFlavor.Sys);
        w.WriteOpaque(body.WrittenSpan);
        w.Flush();
        return credential.WrittenSpan.ToArray();
    }
}
