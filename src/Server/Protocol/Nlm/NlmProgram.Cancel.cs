using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_CANCEL (3) / CANCEL_MSG (8): the blocked request with these exact arguments leaves the queue (GRANTED). When none
    // waits (it was granted meanwhile) DENIED, which XNFS allows and knfsd answers so the client sees the race; the lock stays.
    private Nlm4Res Cancel(RpcCall call, Nlm4CancelArgs args)
    {
        Nlm4Status status = Target(call, args.Lock, out FileId file, out ulong start, out ulong end);
        if (status == Nlm4Status.Granted && state.InGrace) status = Nlm4Status.DeniedGracePeriod;
        if (status == Nlm4Status.Granted) status = state.Cancel(file, Owner(args.Lock, call), start, end, args.Exclusive);
        return new Nlm4Res { Cookie = args.Cookie, Status = status };
    }
}
