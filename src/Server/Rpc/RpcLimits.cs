namespace DittoFs.Server.Rpc;

/// <summary>The server-wide bound on calls in flight, shared by every connection.</summary>
internal sealed class RpcLimits(int maxConcurrentCalls) : IDisposable
{
    public SemaphoreSlim Global { get; } = new(maxConcurrentCalls, maxConcurrentCalls);

    public void Dispose() => Global.Dispose();
}
