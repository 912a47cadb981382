using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_UNLOCK (4): GRANTED whether or not the owner held the range (POSIX unlock); refused during grace, as knfsd does.
    private void Unlock(RpcCall call)
    {
        if (!call.TryDecode(out Nlm4UnlockArgs args)) return;
        Nlm4Status status = Target(call, args.Lock, out FileId file, out ulong start, out ulong end);
        if (status == Nlm4Status.Granted && state.InGrace) status = Nlm4Status.DeniedGracePeriod;
        if (status == Nlm4Status.Granted) state.Unlock(file, Owner(args.Lock, call), start, end);
        Reply(call, args.Cookie, status);
    }
}
