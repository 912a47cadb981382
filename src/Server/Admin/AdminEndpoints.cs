using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using DittoFs.Server.Options;
using DittoFs.Storage.Diagnostics;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Admin;

/// <summary>
/// The HTTP port's operational endpoints (the CLI's verbs call them):
/// <list type="bullet">
/// <item><c>GET /healthz</c>: 200 while the process runs.</item>
/// <item><c>GET /readyz</c>: 200 once metadata is recovered and the payload store answers its probe; else 503 and why.</item>
/// <item><c>GET /admin/status</c>, <c>GET /admin/exports</c>: JSON.</item>
/// <item><c>POST /admin/flush</c>: waits for the payload store's write-back to drain, streaming the backlog as JSON lines.</item>
/// <item><c>POST /admin/gc</c>: collects unreferenced payload; JSON result.</item>
/// <item><c>POST /admin/exports</c>, <c>PUT</c> and <c>DELETE /admin/exports/{name or path}</c>: runtime export changes (<see cref="AdminExportsEndpoints"/>).</item>
/// </list>
/// Flush, gc and export changes go through <see cref="AdminAuthorization"/> (a bearer token, or a loopback-only listener).
/// The GETs stay open, like /metrics: they change nothing, and what they show (exports, their options, the
/// data directory) is what an NFS client learns anyway (MOUNT's EXPORT procedure, showmount -e), so
/// monitoring and <c>dittofs status</c> need no secret.
/// </summary>
internal static class AdminEndpoints
{
    private static readonly long s_started = Stopwatch.GetTimestamp();
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    public static WebApplication MapDittoFsAdmin(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", ReadyAsync);
        app.MapGet("/admin/status", StatusAsync);
        app.MapGet("/admin/exports", (StorageHost storage) => storage.IsReady ? Results.Json(Exports(storage), s_json) : NotReady());
        // Everything that changes state goes in this group, behind the token.
        var authorization = new AdminAuthorization(app.Services.GetRequiredService<IOptions<DittoFsOptions>>(), app.Services.GetRequiredService<ILogger<AdminAuthorization>>());
        RouteGroupBuilder changes = app.MapGroup("/admin")
            .AddEndpointFilter(async (context, next) => authorization.Check(context.HttpContext) ?? await next(context));
        changes.MapPost("/flush", FlushAsync);
        changes.MapPost("/gc", GcAsync);
        changes.MapDittoFsExportChanges();
        return app;
    }

    private static async Task<IResult> ReadyAsync(StorageHost storage, CancellationToken cancellationToken)
    {
        string? problem = await ProblemAsync(storage, cancellationToken);
        return problem is null ? Results.Text("ready") : Results.Text(problem, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<string?> ProblemAsync(StorageHost storage, CancellationToken cancellationToken)
    {
        if (!storage.IsReady) return "recovering: " + storage.Phase;
        if (storage.Payload is IHealthProbe probe)
        {
            string? problem = await probe.ProbeAsync(cancellationToken);
            if (problem is not null) return "payload store unreachable: " + problem;
        }
        return null;
    }

    private static async Task<IResult> StatusAsync(StorageHost storage, IOptions<DittoFsOptions> options, Protocol.Nfs4.State.Nfs4State nfs4, CancellationToken cancellationToken)
    {
        DittoFsOptions o = options.Value;
        string? problem = await ProblemAsync(storage, cancellationToken);
        FlushBacklog? backlog = (storage.Payload as IFlushControl)?.Backlog;
        var status = new
        {
            version = Assembly.GetExecutingAssembly().GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            uptimeSeconds = Math.Round(Stopwatch.GetElapsedTime(s_started).TotalSeconds, 1),
            ready = problem is null,
            problem,
            dataDirectory = Path.GetFullPath(o.DataDirectory),
            metadataStore = o.MetadataStore,
            payloadStore = o.PayloadStore,
            ports = new { nfs = o.NfsPort, mount = o.MountPort, http = o.HttpPort },
            flushBacklog = backlog is { } b ? new { blocks = b.Blocks, bytes = b.Bytes } : null,
            exports = storage.IsReady ? Exports(storage) : [],
            // Seconds left of the NFSv4 grace period (new opens and locks wait while clients reclaim); 0 = not in grace.
            graceSeconds = Math.Ceiling(nfs4.GraceRemaining.TotalSeconds),
        };
        return Results.Json(status, s_json);
    }

    private static object[] Exports(StorageHost storage) =>
        [.. storage.Exports.All.OrderBy(e => e.Path, StringComparer.Ordinal).Select(AdminExportsEndpoints.Describe)];

    /// <summary>Streams one JSON line per progress report, then a final <c>{"done":true,...}</c> line.</summary>
    private static async Task FlushAsync(HttpContext context, StorageHost storage, CancellationToken cancellationToken)
    {
        if (!storage.IsReady || storage.Payload is not IFlushControl flush)
        {
            context.Response.StatusCode = storage.IsReady ? StatusCodes.Status501NotImplemented : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(storage.IsReady ? "the payload store has no write-back to flush\n" : "not ready\n", cancellationToken);
            return;
        }
        context.Response.ContentType = "application/x-ndjson";
        FlushBacklog initial = flush.Backlog;
        var gate = new SemaphoreSlim(1, 1);
        async Task WriteLineAsync(object line)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await context.Response.WriteAsync(JsonSerializer.Serialize(line, s_json) + "\n", cancellationToken);
                await context.Response.Body.FlushAsync(cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }

        await WriteLineAsync(new { blocks = initial.Blocks, bytes = initial.Bytes, initialBlocks = initial.Blocks, initialBytes = initial.Bytes });
        Task drain = flush.DrainAsync(progress: null, cancellationToken);
        // Report on a timer rather than per block: a big backlog drains in thousands of steps.
        while (!drain.IsCompleted)
        {
            await Task.WhenAny(drain, Task.Delay(250, cancellationToken));
            if (drain.IsCompleted) break;
            FlushBacklog now = flush.Backlog;
            await WriteLineAsync(new { blocks = now.Blocks, bytes = now.Bytes, initialBlocks = initial.Blocks, initialBytes = initial.Bytes });
        }
        try
        {
            await drain;
            FlushBacklog end = flush.Backlog;
            await WriteLineAsync(new { done = true, blocks = end.Blocks, bytes = end.Bytes });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteLineAsync(new { done = true, error = e.Message });
        }
    }

    private static async Task<IResult> GcAsync(StorageHost storage, CancellationToken cancellationToken)
    {
        if (!storage.IsReady) return NotReady();
        if (storage.Payload is not IGarbageCollector gc) return Results.Json(new GcResult(0, 0, 0), s_json);
        return Results.Json(await gc.CollectAsync(cancellationToken), s_json);
    }

    internal static IResult NotReady() => Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable);
}
