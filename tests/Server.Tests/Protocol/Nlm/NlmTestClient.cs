using System.Net;
using System.Text;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Tests.Infrastructure;

namespace DittoFs.Server.Tests.Protocol.Nlm;

/// <summary>NLM v4 calls over a raw socket (program 100021 on the NFS port), as one client host (caller_name), from 127.0.0.1 or <paramref name="localAddress"/>.</summary>
public sealed class NlmTestClient(int port, string host = "client-a", IPAddress? localAddress = null) : IDisposable
{
    public const uint NlmProgram = 100021;
    public const uint NsmProgram = 100024;

    public RpcClient Rpc { get; } = new(port, localAddress);

    public string Host { get; } = host;

    public Nlm4Lock Alock(byte[] fh, int svid, ulong offset = 0, ulong length = 0) => new()
    {
        CallerName = Encoding.UTF8.GetBytes(Host),
        Fh = fh,
        Oh = Encoding.UTF8.GetBytes($"{svid}@{Host}"),
        Svid = svid,
        Offset = offset,
        Length = length,
    };

    public Nlm4LockArgs LockArgs(byte[] fh, int svid, ulong offset = 0, ulong length = 0, bool exclusive = true, bool block = false, bool reclaim = false, string cookie = "c") => new()
    {
        Cookie = Encoding.UTF8.GetBytes(cookie),
        Block = block,
        Exclusive = exclusive,
        Lock = Alock(fh, svid, offset, length),
        Reclaim = reclaim,
        State = 1,
    };

    public Nlm4Status Lock(byte[] fh, int svid, ulong offset = 0, ulong length = 0, bool exclusive = true, bool block = false, bool reclaim = false, string cookie = "c") =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.Lock, a => a.Write(LockArgs(fh, svid, offset, length, exclusive, block, reclaim, cookie))).Decode<Nlm4Res>().Status;

    /// <summary>NM_LOCK: a LOCK of a host that is not monitored (it never blocks).</summary>
    public Nlm4Status NmLock(byte[] fh, int svid, ulong offset = 0, ulong length = 0, bool exclusive = true) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.NmLock, a => a.Write(LockArgs(fh, svid, offset, length, exclusive, cookie: "nm"))).Decode<Nlm4Res>().Status;

    /// <summary>LOCK_MSG: a void reply; the result comes as a LOCK_RES call to the client host's lockd.</summary>
    public RpcReply LockMsg(byte[] fh, int svid, ulong offset = 0, ulong length = 0, string cookie = "m") =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.LockMsg, a => a.Write(LockArgs(fh, svid, offset, length, cookie: cookie)));

    /// <summary>TEST_MSG: a void reply; the result comes as a TEST_RES call.</summary>
    public RpcReply TestMsg(byte[] fh, int svid, ulong offset = 0, ulong length = 0) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.TestMsg, a => a.Write(new Nlm4TestArgs { Cookie = "tm"u8.ToArray(), Exclusive = true, Lock = Alock(fh, svid, offset, length) }));

    /// <summary>UNLOCK_MSG: a void reply; the result comes as an UNLOCK_RES call.</summary>
    public RpcReply UnlockMsg(byte[] fh, int svid, ulong offset = 0, ulong length = 0) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.UnlockMsg, a => a.Write(new Nlm4UnlockArgs { Cookie = "um"u8.ToArray(), Lock = Alock(fh, svid, offset, length) }));

    public Nlm4TestRes Test(byte[] fh, int svid, ulong offset = 0, ulong length = 0, bool exclusive = true) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.Test, a => a.Write(new Nlm4TestArgs
        {
            Cookie = "t"u8.ToArray(),
            Exclusive = exclusive,
            Lock = Alock(fh, svid, offset, length),
        })).Decode<Nlm4TestRes>();

    public Nlm4Status Cancel(byte[] fh, int svid, ulong offset = 0, ulong length = 0, bool exclusive = true) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.Cancel, a => a.Write(new Nlm4CancelArgs
        {
            Cookie = "x"u8.ToArray(),
            Block = true,
            Exclusive = exclusive,
            Lock = Alock(fh, svid, offset, length),
        })).Decode<Nlm4Res>().Status;

    public Nlm4Status Unlock(byte[] fh, int svid, ulong offset = 0, ulong length = 0) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.Unlock, a => a.Write(new Nlm4UnlockArgs
        {
            Cookie = "u"u8.ToArray(),
            Lock = Alock(fh, svid, offset, length),
        })).Decode<Nlm4Res>().Status;

    /// <summary>NLM4_FREE_ALL: the named host rebooted.</summary>
    public void FreeAll(string name) =>
        Rpc.Call(NlmProgram, 4, (uint)NlmProcedure.FreeAll, a => a.Write(new Nlm4Notify { Name = Encoding.UTF8.GetBytes(name), State = 3 }));

    public void Dispose() => Rpc.Dispose();
}
