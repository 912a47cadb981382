using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    // NLM4_UNLOCK (4) / UNLOCK_MSG (9): GRANTED whether or not the owner held the range (POSIX unlock); refused during grace, as knfsd does,
    // and DENIED_NOLOCKS when splitting a range would pass the bound of the client address's ranges.
    private Nlm4Res Unlock(RpcCall call, Nlm4UnlockArgs args)
    {
        Nlm4Status status = UnlockRequest(call, args, out FileId file, out ulong start, out ulong end);
        if (status == Nlm4Status.Granted) status = state.Unlock(file, Owner(args.Lock, call), start, end);
        return new Nlm4Res { Cookie = args.Cookie, Status = status };
    }

    /// <summary>UNLOCK with several servers on one database: answered once the database knows the range is free (as LOCKU).</summary>
    private async ValueTask<Nlm4Res> UnlockAcrossServersAsync(RpcCall call, Nlm4UnlockArgs args)
    {
        Nlm4Status status = UnlockRequest(call, args, out FileId file, out ulong start, out ulong end);
        if (status == Nlm4Status.Granted) status = await state.UnlockAcrossServersAsync(file, Owner(args.Lock, call), start, end).ConfigureAwait(false);
        return new Nlm4Res { Cookie = args.Cookie, Status = status };
    }

    private Nlm4Status UnlockRequest(RpcCall call, in Nlm4UnlockArgs args, out FileId file, out ulong start, out ulong end)
    {
        Nlm4Status status = Target(call, args.Lock, out file, out start, out end);
        return status == Nlm4Status.Granted && state.InGrace ? Nlm4Status.DeniedGracePeriod : status;
    }
}
