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

// Timestamps on every console line, plain or JSON (Logging:Console:FormatterName=json).
// A named formatter, or the console provider copies its legacy (empty) timestamp setting over ours.
builder.Services.PostConfigure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.FormatterName ??= "simple");
builder.Services.Configure<Microsoft.Extensions.Logging.Console.SimpleConsoleFormatterOptions>(console => { console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; console.UseUtcTimestamp = true; });
builder.Services.Configure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(console => { console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; console.UseUtcTimestamp = true; });
// Kestrel's "Now listening on: http://0.0.0.0:2049" is wrong for the RPC ports; ServerLog.Serving says what listens where.
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

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
        kestrel.Listen(address, port, listen => listen.Use(next => WaitForStorage(next, listen.ApplicationServices)).UseConnectionHandler<RpcConnectionHandler>());
    }
    if (o.HttpPort != 0)
    {
        kestrel.Listen(address, o.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
    }
});

WebApplication app = builder.Build();
app.UseDittoFsTelemetry(); // /metrics; meters listened to before storage opens
StorageHost storage = app.Services.GetRequiredService<StorageHost>();
app.MapDittoFsAdmin(); // /healthz, /readyz, /admin/*
// Listeners first, so /healthz and /readyz ("recovering: ...") answer while metadata recovers;
// RPC connections are accepted but wait for the store (WaitForStorage below).
try
{
    await app.StartAsync();
}
catch (IOException e) when (e.InnerException is AddressInUseException)
{
    // A port taken between the probe and the bind: say which, no stack trace.
    Console.Error.WriteLine($"dittofs: cannot listen: {e.Message}");
    return 1;
}
try
{
    await storage.OpenAsync(app.Lifetime.ApplicationStopping);
}
catch (DittoFs.Storage.StorageRefusedException refused)
{
    // An operator's decision, not a crash: one line that says what and how, no stack trace.
    Console.Error.WriteLine($"dittofs: refusing to start: {refused.Message}");
    await app.StopAsync();
    await storage.DisposeAsync();
    return 1;
}
catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
{
    // Stopped while recovering: nothing was served.
}
ILogger serverLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DittoFs.Server");
if (storage.IsReady)
{
    ServerLog.Serving(serverLog, System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(ServerLog).Assembly)?.InformationalVersion,
        Path.GetFullPath(checkedOptions.DataDirectory), checkedOptions.MetadataStore, checkedOptions.PayloadStore,
        checkedOptions.PayloadStore.Equals("S3", StringComparison.OrdinalIgnoreCase) ? $" (bucket {checkedOptions.S3.Bucket}, prefix '{checkedOptions.S3.Prefix}', endpoint {(checkedOptions.S3.Endpoint.Length > 0 ? checkedOptions.S3.Endpoint : "AWS " + checkedOptions.S3.Region)})" : "",
        checkedOptions.ListenAddress, string.Join(",", new[] { checkedOptions.NfsPort, checkedOptions.MountPort, checkedOptions.PortmapPort }.Where(p => p != 0).Distinct()),
        checkedOptions.HttpPort == 0 ? "none" : checkedOptions.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        string.Join(", ", storage.Exports.All.Select(e => e.Path + (e.ReadOnly ? " (ro)" : ""))),
        checkedOptions.MaxConnections, checkedOptions.MaxConcurrentCalls, checkedOptions.MaxRecordSize);
}
await app.WaitForShutdownAsync();
long stopping = System.Diagnostics.Stopwatch.GetTimestamp();
DittoFs.Storage.Diagnostics.FlushBacklog? dirty = (storage.Payload as DittoFs.Storage.Diagnostics.IFlushControl)?.Backlog;
await storage.DisposeAsync(); // the clean checkpoint
// Logged before the app (and its logger providers) is disposed.
ServerLog.Stopped(serverLog, System.Diagnostics.Stopwatch.GetElapsedTime(stopping).TotalSeconds, dirty?.Blocks ?? 0, dirty?.Bytes ?? 0);
await app.DisposeAsync();
return 0;

// An RPC connection is served once the store is open (a client that connects during recovery waits, as for a slow server).
static ConnectionDelegate WaitForStorage(ConnectionDelegate next, IServiceProvider services) => async connection =>
{
    Task ready = services.GetRequiredService<StorageHost>().Ready;
    if (!ready.IsCompleted)
    {
        CancellationToken closing = connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, closing);
        try
        {
            await ready.WaitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            return; // the client left, or the server stops before it was ready
        }
    }
    await next(connection);
};
