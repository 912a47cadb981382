using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_LOCK (2) / LOCK_MSG (7), NLM4_NM_LOCK (22, a non-monitored LOCK: never blocks, as knfsd).
    // During grace only reclaims (reclaim = true) are granted; a blocking request that conflicts is queued and BLOCKED.
    private Nlm4Res Lock(RpcCall call, Nlm4LockArgs args, bool monitored)
    {
        Nlm4Status status = Target(call, args.Lock, out FileId file, out ulong start, out ulong end);
        if (status == Nlm4Status.Granted && state.InGrace && !args.Reclaim) status = Nlm4Status.DeniedGracePeriod;
        if (status == Nlm4Status.Granted)
        {
            NlmOwner owner = Owner(args.Lock, call);
            bool block = args.Block && monitored;
            BlockedLock? blocked = block ? new BlockedLock
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
            } : null;
            status = state.Lock(file, owner, start, end, args.Exclusive, CallerAddress(call), blocked, out _);
        }
        return new Nlm4Res { Cookie = args.Cookie, Status = status };
    }
}
