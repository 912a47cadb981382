using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_SHARE (20) / NLM4_UNSHARE (21): DOS share reservations (fsh4_mode denies, fsh4_access asks), per file and owner.
    // During grace only reclaimed shares are granted; UNSHARE is refused during grace (knfsd).
    private void Share(RpcCall call, bool share)
    {
        if (!call.TryDecode(out Nlm4ShareArgs args)) return;
        Nlm4Status status = Resolve(call, args.Share.Fh, out FileId file);
        if (status == Nlm4Status.Granted && state.InGrace && (!share || !args.Reclaim)) status = Nlm4Status.DeniedGracePeriod;
        if (status == Nlm4Status.Granted)
        {
            var owner = new NlmOwner(HostOf(args.Share.CallerName.Span, call), 0, args.Share.Oh.ToArray());
            if (share) status = state.Share(file, owner, args.Share.Mode, args.Share.Access);
            else state.Unshare(file, owner);
        }
        call.ReplySuccess(new Nlm4ShareRes { Cookie = args.Cookie, Status = status, Sequence = 0 });
    }

    // NLM4_FREE_ALL (23): the client host rebooted (sent by its statd through the client's lockd): all its locks and shares go.
    private void FreeAll(RpcCall call)
    {
        if (!call.TryDecode(out Nlm4Notify args)) return;
        state.FreeHost(HostOf(args.Name.Span, call), "FREE_ALL"); // only the caller's own host
        call.ReplyVoid();
    }
}
