using DittoFs.Server.Protocol.Locks;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Storage.Metadata.Postgres;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_TEST (1) / TEST_MSG (6): would this lock be granted? DENIED with the holder of a conflicting range (either protocol's).
    private Nlm4TestRes Test(RpcCall call, Nlm4TestArgs args) => new() { Cookie = args.Cookie, Reply = TestLocal(call, args, out _, out _, out _) };

    /// <summary>
    /// TEST with several servers on one database: this server's conflict first, then another server's (as LOCKT), whose
    /// holder shows as svid 0 with the owner bytes of its row (an NFSv4 lock owner, or an NLM oh). DENIED_NOLOCKS when
    /// the database did not answer in time (NLM has no DELAY).
    /// </summary>
    private async ValueTask<Nlm4TestRes> TestAcrossServersAsync(RpcCall call, Nlm4TestArgs args)
    {
        Nlm4TestReply reply = TestLocal(call, args, out FileId file, out ulong start, out ulong end);
        if (reply.Status == Nlm4Status.Granted)
        {
            (SharedGrant grant, SharedRange remote) = await state.TestAcrossServersAsync(file, start, end, args.Exclusive).ConfigureAwait(false);
            if (grant == SharedGrant.Unavailable) reply.Status = Nlm4Status.DeniedNoLocks;
            else if (grant == SharedGrant.Conflict) reply = new Nlm4TestReply { Status = Nlm4Status.Denied, Holder = Holder(remote.Start, remote.End, remote.Write, 0, remote.Owner) };
        }
        return new Nlm4TestRes { Cookie = args.Cookie, Reply = reply };
    }

    /// <summary>This server's answer to a TEST, with the file and range it asked about.</summary>
    private Nlm4TestReply TestLocal(RpcCall call, in Nlm4TestArgs args, out FileId file, out ulong start, out ulong end)
    {
        var reply = new Nlm4TestReply { Status = Target(call, args.Lock, out file, out start, out end) };
        if (reply.Status == Nlm4Status.Granted && state.InGrace) reply.Status = Nlm4Status.DeniedGracePeriod;
        if (reply.Status == Nlm4Status.Granted
            && state.Ranges.Test(file, NlmState.IsOwner(Owner(args.Lock, call)), start, end, args.Exclusive) is { } conflict)
        {
            reply = new Nlm4TestReply { Status = Nlm4Status.Denied, Holder = Holder(conflict) };
        }
        return reply;
    }
}
