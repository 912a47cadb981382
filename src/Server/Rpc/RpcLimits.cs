using DittoFs.Server.Options;

namespace DittoFs.Server.Rpc;

/// <summary>The server-wide bounds shared by every connection: calls in flight, reply bytes, and the per-connection limits and deadlines read from the options.</summary>
internal sealed class RpcLimits : IDisposable
{
    public RpcLimits(DittoFsOptions o)
    {
        Global = new SemaphoreSlim(o.MaxConcurrentCalls, o.MaxConcurrentCalls);
        Replies = new ReplyBudget(o.MaxReplyBytes);
        MaxRecordSize = o.MaxRecordSize;
        MaxCallsPerConnection = o.MaxConcurrentCallsPerConnection;
        MaxReplyBytesPerConnection = o.MaxReplyBytesPerConnection;
        ReplyTimeoutMs = (long)(o.ReplyTimeoutSeconds * 1000);
        RecordTimeoutMs = (long)(o.RecordTimeoutSeconds * 1000);
        IdleTimeoutMs = (long)(o.IdleTimeoutSeconds * 1000);
    }

    public SemaphoreSlim Global { get; }

    /// <summary>Reply bytes queued or expected, all connections together.</summary>
    public ReplyBudget Replies { get; }

    public int MaxRecordSize { get; }

    public int MaxCallsPerConnection { get; }

    public long MaxReplyBytesPerConnection { get; }

    public long ReplyTimeoutMs { get; }

    public long RecordTimeoutMs { get; }

    public long IdleTimeoutMs { get; }

    public void Dispose() => Global.Dispose();
}
