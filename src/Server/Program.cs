using System.Net;
using DittoFs.Server;
using DittoFs.Server.Admin;
using DittoFs.Server.Cli;
using Microsoft.AspNetCore.Connections;
using DittoFs.Server.Metrics;
using DittoFs.Server.Options;
using DittoFs.Server.Rpc;
using Microsoft.AspNetCore.Server.Kestrel.Core;

// DittoFs: an NFS server (NFSv3 + MOUNT on one port) over a FASTER metadata store and local or S3 file blocks.
// `dittofs <verb>` (status, exports, flush, gc, check, config) runs the admin CLI; no verb or `serve` runs the server.
DittoFsCli.Invocation cli = await DittoFsCli.RunAsync(args);
if (cli.ExitCode is int exitCode) return exitCode;
args = cli.ServeArguments;

// appsettings.json sits next to the binary, wherever the server is started from.
WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
// Every mistake in the configuration is one line naming the key and value, and exit 1 (no stack trace).
if (DittoFsCli.CheckConfiguration(builder.Configuration) is not { } checkedOptions) return 1;
if ((ConfigurationValidator.CheckDataDirectory(checkedOptions) ?? ConfigurationValidator.CheckPorts(checkedOptions)) is { } unusable)
{
    Console.Error.WriteLine($"dittofs: invalid configuration: {unusable}");
    return 1;
}
builder.Services.AddOptions<DittoFsOptions>()
    .Bind(builder.Configuration.GetSection(DittoFsOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddDittoFs();
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(checkedOptions.ShutdownTimeoutSeconds));

// Transport pipes per connection: the record assembler consumes input as it arrives, so the input
// pipe need not hold a whole record; it bounds what a connection that is not being read (reply
// backpressure) keeps in memory. Replies are written in 64 KiB slices against a 64 KiB pipe.
builder.WebHost.UseSockets(sockets =>
{
    sockets.MaxReadBufferSize = 256 * 1024;
    sockets.MaxWriteBufferSize = 64 * 1024;
});
builder.WebHost.ConfigureKestrel((context, kestrel) =>
{
    DittoFsOptions o = context.Configuration.GetSection(DittoFsOptions.Section).Get<DittoFsOptions>() ?? new DittoFsOptions();
    IPAddress address = IPAddress.Parse(o.ListenAddress);
    var rpcPorts = new SortedSet<int> { o.NfsPort };
    if (o.MountPort != 0) rpcPorts.Add(o.MountPort);
    if (o.PortmapPort != 0) rpcPorts.Add(o.PortmapPort);
    // Every RPC port serves every program: NFS, MOUNT and the portmapper answer wherever a client asks.
    foreach (int port in rpcPorts)
    {
        kestrel.Listen(address, port, listen => listen.UseConnectionHandler<RpcConnectionHandler>());
    }
    if (o.HttpPort != 0)
    {
        kestrel.Listen(address, o.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
    }
});

WebApplication app = builder.Build();
app.UseDittoFsTelemetry(); // /metrics; meters listened to before storage opens
StorageHost storage = app.Services.GetRequiredService<StorageHost>();
// Recover metadata before the listeners start, so no client sees a half-open store.
try
{
    await storage.OpenAsync(app.Lifetime.ApplicationStopping);
}
catch (DittoFs.Storage.StorageRefusedException refused)
{
    // An operator's decision, not a crash: one line that says what and how, no stack trace.
    Console.Error.WriteLine($"dittofs: refusing to start: {refused.Message}");
    return 1;
}
app.MapDittoFsAdmin(); // /healthz, /readyz, /admin/*
try
{
    await app.StartAsync();
}
catch (IOException e) when (e.InnerException is AddressInUseException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    // A port another process holds: say which, no stack trace.
    Console.Error.WriteLine($"dittofs: cannot listen: {e.Message}");
    await storage.DisposeAsync();
    return 1;
}
await app.WaitForShutdownAsync();
await app.DisposeAsync();
await storage.DisposeAsync();
return 0;
