using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_CANCEL (3): the blocked request with these exact arguments leaves the queue (GRANTED). When none waits
    // (it was granted meanwhile) DENIED, which XNFS allows and knfsd answers so the client sees the race; the lock stays.
    private void Cancel(RpcCall call)
    {
        if (!call.TryDecode(out Nlm4CancelArgs args)) return;
        Nlm4Status status = Target(call, args.Lock, out FileId file, out ulong start, out ulong end);
        if (status == Nlm4Status.Granted && state.InGrace) status = Nlm4Status.DeniedGracePeriod;
        if (status == Nlm4Status.Granted) status = state.Cancel(file, Owner(args.Lock, call), start, end, args.Exclusive);
        Reply(call, args.Cookie, status);
    }
}
