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
        services.AddSingleton(sp => new RpcLimits(sp.GetRequiredService<IOptions<DittoFsOptions>>().Value.MaxConcurrentCalls));
        services.AddSingleton<IRpcProgram, PortmapProgram>();
        services.AddSingleton<IRpcProgram, MountProgram>();
        services.AddSingleton<IRpcProgram, Nfs3Program>();
        services.AddSingleton<Nfs4State>();
        services.AddSingleton<IRpcProgram, Nfs4Program>();
        services.AddSingleton<Dispatcher>();
        services.AddDittoFsTelemetry();
        return services;
    }
}
