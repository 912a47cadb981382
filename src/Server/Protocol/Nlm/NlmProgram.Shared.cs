using System.Net;
using DittoFs.Server.Rpc;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    /// <summary>
    /// The procedures that ask the shared database too when several servers share it (MetadataStore=Postgres): LOCK,
    /// NM_LOCK, TEST, UNLOCK and their _MSG variants, asynchronous; null for the others (answered as on one server).
    /// </summary>
    private ValueTask? AcrossServers(RpcCall call) => (NlmProcedure)call.Procedure switch
    {
        NlmProcedure.Test => AnswerAsync<Nlm4TestArgs, Nlm4TestRes>(call, TestAcrossServersAsync),
        NlmProcedure.Lock => AnswerAsync<Nlm4LockArgs, Nlm4Res>(call, (c, a) => LockAcrossServersAsync(c, a, monitored: true)),
        NlmProcedure.Unlock => AnswerAsync<Nlm4UnlockArgs, Nlm4Res>(call, UnlockAcrossServersAsync),
        NlmProcedure.TestMsg => MessageAsync<Nlm4TestArgs, Nlm4TestRes>(call, NlmProcedure.TestRes, TestAcrossServersAsync),
        NlmProcedure.LockMsg => MessageAsync<Nlm4LockArgs, Nlm4Res>(call, NlmProcedure.LockRes, (c, a) => LockAcrossServersAsync(c, a, monitored: true)),
        NlmProcedure.UnlockMsg => MessageAsync<Nlm4UnlockArgs, Nlm4Res>(call, NlmProcedure.UnlockRes, UnlockAcrossServersAsync),
        NlmProcedure.NmLock => AnswerAsync<Nlm4LockArgs, Nlm4Res>(call, (c, a) => LockAcrossServersAsync(c, a, monitored: false)),
        _ => null,
    };

    /// <summary><see cref="Answer{TArgs, TRes}"/> of an asynchronous procedure (the call's record stays the call's until it returns).</summary>
    private static async ValueTask AnswerAsync<TArgs, TRes>(RpcCall call, Func<RpcCall, TArgs, ValueTask<TRes>> handle)
        where TArgs : IXdrCodec<TArgs> where TRes : IXdrCodec<TRes>
    {
        if (!call.TryDecode(out TArgs args)) return;
        TRes result = await handle(call, args).ConfigureAwait(false);
        call.ReplySuccess(result);
    }

    /// <summary><see cref="Message{TArgs, TRes}"/> of an asynchronous procedure: the void reply once the result is known.</summary>
    private async ValueTask MessageAsync<TArgs, TRes>(RpcCall call, NlmProcedure resultProcedure, Func<RpcCall, TArgs, ValueTask<TRes>> handle)
        where TArgs : IXdrCodec<TArgs> where TRes : IXdrCodec<TRes>
    {
        if (!call.TryDecode(out TArgs args)) return;
        IPAddress? address = CallerAddress(call);
        if (address is null || !state.BeginCallback(address))
        {
            call.ReplyVoid();
            return;
        }
        TRes handled = await handle(call, args).ConfigureAwait(false);
        byte[] result = RpcOutbound.Encode(handled);
        call.ReplyVoid();
        _ = state.SendResultAsync(address, resultProcedure, result);
    }
}
