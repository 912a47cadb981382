using DittoFs.Server.Rpc;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_GRANTED (5) is a server's call to a client; this server waits for no lock of its own: DENIED (knfsd's nlmclnt_grant
    // answers the same for a lock it does not wait for).
    private static void Granted(RpcCall call)
    {
        if (!call.TryDecode(out Nlm4TestArgs args)) return;
        call.ReplySuccess(new Nlm4Res { Cookie = args.Cookie, Status = Nlm4Status.Denied });
    }

    // NLM4_GRANTED_RES (15): a client's answer to a granted blocked lock; anything but GRANTED gives the lock back.
    private void GrantedRes(RpcCall call)
    {
        if (!call.TryDecode(out Nlm4Res args)) return;
        state.GrantedResult(args.Cookie.Span, args.Status);
        call.ReplyVoid();
    }
}
