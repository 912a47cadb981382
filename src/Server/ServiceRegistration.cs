using DittoFs.Server.Buffers;
using DittoFs.Server.Metrics;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Protocol.Portmap;
using DittoFs.Server.Rpc;
using Microsoft.Extensions.Options;

namespace DittoFs.Server;

internal static class ServiceRegistration
{
    public static IServiceCollection AddDittoFs(this IServiceCollection services)
    {
        services.AddSingleton<StorageHost>();
        services.AddSingleton(sp =>
        {
            DittoFsOptions o = sp.GetRequiredService<IOptions<DittoFsOptions>>().Value;
            BufferPool.RetainedLimit = o.BufferPoolBytes;
            BufferPool.TrimAfter = TimeSpan.FromSeconds(o.BufferTrimSeconds);
            var limits = new RpcLimits(o);
            sp.GetRequiredService<RpcMetrics>().ObserveReplyBytes(() => limits.Replies.Used);
            return limits;
        });
        services.AddSingleton(sp =>
        {
            DittoFsOptions o = sp.GetRequiredService<IOptions<DittoFsOptions>>().Value;
            return new ConnectionLimiter(o.MaxConnections, o.MaxConnectionsPerAddress, sp.GetRequiredService<RpcMetrics>(), sp.GetRequiredService<ILogger<ConnectionLimiter>>());
        });
        services.AddSingleton<ConnectionWatchdog>();
        services.AddSingleton<IRpcProgram, PortmapProgram>();
        services.AddSingleton<IRpcProgram, MountProgram>();
        services.AddSingleton<IRpcProgram, Nfs3Program>();
        services.AddSingleton<Protocol.Locks.ByteRangeLocks>(); // NFSv4 and NLM locks in one table
        services.AddSingleton<Protocol.Locks.SharedLocks>(); // the same, honoured across servers (MetadataStore=Postgres)
        services.AddSingleton<Nfs4State>();
        services.AddSingleton<IRpcProgram, Nfs4Program>();
        services.AddSingleton<Protocol.Nsm.StatusMonitor>();
        services.AddSingleton<Protocol.Nlm.NlmState>();
        services.AddSingleton<IRpcProgram, Protocol.Nlm.NlmProgram>();
        services.AddSingleton<IRpcProgram, Protocol.Nsm.NsmProgram>();
        services.AddSingleton<Dispatcher>();
        services.AddDittoFsTelemetry();
        return services;
    }
}
