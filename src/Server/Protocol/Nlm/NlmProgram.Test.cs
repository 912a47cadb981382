using DittoFs.Server.Protocol.Locks;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_TEST (1) / TEST_MSG (6): would this lock be granted? DENIED with the holder of a conflicting range (either protocol's).
    private Nlm4TestRes Test(RpcCall call, Nlm4TestArgs args)
    {
        var reply = new Nlm4TestReply { Status = Target(call, args.Lock, out FileId file, out ulong start, out ulong end) };
        if (reply.Status == Nlm4Status.Granted && state.InGrace) reply.Status = Nlm4Status.DeniedGracePeriod;
        if (reply.Status == Nlm4Status.Granted
            && state.Ranges.Test(file, NlmState.IsOwner(Owner(args.Lock, call)), start, end, args.Exclusive) is { } conflict)
        {
            reply = new Nlm4TestReply { Status = Nlm4Status.Denied, Holder = Holder(conflict) };
        }
        return new Nlm4TestRes { Cookie = args.Cookie, Reply = reply };
    }
}
