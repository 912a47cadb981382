using System.Net;
using DittoFs.Server.Rpc;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nlm;

internal sealed partial class NlmProgram
{
    /// <summary>A synchronous procedure: its result is the reply.</summary>
    private static void Answer<TArgs, TRes>(RpcCall call, Func<RpcCall, TArgs, TRes> handle)
        where TArgs : IXdrCodec<TArgs> where TRes : IXdrCodec<TRes>
    {
        if (call.TryDecode(out TArgs args)) call.ReplySuccess(handle(call, args));
    }

    /// <summary>
    /// A _MSG procedure (6-9): the reply is void and the result goes back as a call of its _RES procedure (11-14) to the
    /// lockd the caller's portmapper names (XNFS 10.2). A host with <see cref="NlmState.MaxCallbacksPerHost"/> results
    /// still on their way gets its message dropped unprocessed: the protocol's answer to a lost message is the client's
    /// retransmission, and a flooding client cannot make this server open connections without end.
    /// </summary>
    private void Message<TArgs, TRes>(RpcCall call, NlmProcedure resultProcedure, Func<RpcCall, TArgs, TRes> handle)
        where TArgs : IXdrCodec<TArgs> where TRes : IXdrCodec<TRes>
    {
        if (!call.TryDecode(out TArgs args)) return;
        IPAddress? address = CallerAddress(call);
        if (address is null || !state.BeginCallback(address))
        {
            call.ReplyVoid();
            return;
        }
        byte[] result = RpcOutbound.Encode(handle(call, args));
        call.ReplyVoid();
        _ = state.SendResultAsync(address, resultProcedure, result);
    }
}
