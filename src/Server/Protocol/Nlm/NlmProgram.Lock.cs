using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_LOCK (2) / LOCK_MSG (7), NLM4_NM_LOCK (22, a non-monitored LOCK: never blocks, as knfsd).
    // During grace only reclaims (reclaim = true) are granted; a blocking request that conflicts is queued and BLOCKED.
    private Nlm4Res Lock(RpcCall call, Nlm4LockArgs args, bool monitored)
    {
        Nlm4Status status = LockRequest(call, args, monitored, out FileId file, out NlmOwner? owner, out ulong start, out ulong end, out BlockedLock? blocked);
        if (status == Nlm4Status.Granted) status = state.Lock(file, owner!, start, end, args.Exclusive, CallerAddress(call), blocked, out _);
        return new Nlm4Res { Cookie = args.Cookie, Status = status };
    }

    /// <summary>LOCK with several servers on one database: another server's client's range refuses it too (NlmState.Shared.cs).</summary>
    private async ValueTask<Nlm4Res> LockAcrossServersAsync(RpcCall call, Nlm4LockArgs args, bool monitored)
    {
        Nlm4Status status = LockRequest(call, args, monitored, out FileId file, out NlmOwner? owner, out ulong start, out ulong end, out BlockedLock? blocked);
        if (status == Nlm4Status.Granted) status = await state.LockAcrossServersAsync(file, owner!, start, end, args.Exclusive, CallerAddress(call), blocked).ConfigureAwait(false);
        return new Nlm4Res { Cookie = args.Cookie, Status = status };
    }

    /// <summary>The file, owner and range of a LOCK, and the queue entry of a blocking one; GRANTED, or the status that refuses it before any lock is looked at.</summary>
    private Nlm4Status LockRequest(RpcCall call, in Nlm4LockArgs args, bool monitored, out FileId file, out NlmOwner? owner, out ulong start, out ulong end,
        out BlockedLock? blocked)
    {
        owner = null;
        blocked = null;
        Nlm4Status status = Target(call, args.Lock, out file, out start, out end);
        if (status == Nlm4Status.Granted && state.InGrace && !args.Reclaim) status = Nlm4Status.DeniedGracePeriod;
        if (status != Nlm4Status.Granted) return status;
        owner = Owner(args.Lock, call);
        if (args.Block && monitored)
        {
            blocked = new BlockedLock
            {
                Owner = owner,
                File = file,
                Start = start,
                End = end,
                Write = args.Exclusive,
                Cookie = args.Cookie.ToArray(),
                Fh = args.Lock.Fh.ToArray(),
                Offset = args.Lock.Offset,
                Length = args.Lock.Length,
                Address = CallerAddress(call),
            };
        }
        return status;
    }
}
