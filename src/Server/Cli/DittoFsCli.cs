using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DittoFs.Server.Options;

namespace DittoFs.Server.Cli;

/// <summary>
/// <c>dittofs</c>: the server executable's verbs. <c>serve</c> (the default when
/// no verb is given, so <c>dotnet run --project src/Server</c> starts the server)
/// runs the server with its configuration arguments. <c>status</c>, <c>exports</c>,
/// <c>flush</c> and <c>gc</c> ask a running server over its HTTP port
/// (<c>--server</c>, default <c>http://127.0.0.1:&lt;DittoFs:HttpPort&gt;</c>).
/// <c>check</c> and <c>restore</c> open the data directory themselves and need the server stopped
/// (they refuse while a server holds the directory's lock).
/// Exit codes: 0 success, 1 failure (unreachable, not ready, error), 2 damage found (check).
/// </summary>
internal static class DittoFsCli
{
    /// <summary>What the command line asked for: an exit code (a verb ran, help, an error), or the server with these arguments.</summary>
    public sealed record Invocation(int? ExitCode, string[] ServeArguments);

    /// <summary>
    /// Parses every argument with System.CommandLine (nothing is looked at before it): a verb runs and
    /// gives its exit code; no verb or <c>serve</c> gives back the configuration arguments for the host.
    /// </summary>
    public static async Task<Invocation> RunAsync(string[] args)
    {
        string[]? serve = null;
        RootCommand root = Build(settings => serve = settings);
        // The host handles SIGTERM itself (a clean checkpoint); the parser must not cancel under it.
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // The error and where help is, not the whole help text under it (the error scrolled out of sight).
            foreach (ParseError error in parsed.Errors) Console.Error.WriteLine($"dittofs: {error.Message}");
            var path = new List<string>();
            for (SymbolResult? r = parsed.CommandResult; r is CommandResult { Command: not RootCommand } c; r = r.Parent) path.Insert(0, c.Command.Name);
            Console.Error.WriteLine($"Run 'dittofs {string.Join(' ', path.Append("--help"))}' for usage.");
            return new Invocation(1, []);
        }
        int code = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
        return serve is not null && code == 0 ? new Invocation(null, serve) : new Invocation(code, []);
    }

    internal static RootCommand Build(Action<string[]>? serveAction = null)
    {
        var server = new Option<string?>("--server", "-s")
        {
            Description = "The server's HTTP address, e.g. 127.0.0.1:9464 or http://host:9464 (default: DITTOFS_SERVER, else http://127.0.0.1:<DittoFs:HttpPort>)",
            Recursive = true,
        };
        var token = new Option<string?>("--token")
        {
            Description = "The admin bearer token for flush, gc and export changes (default: DITTOFS_ADMIN_TOKEN, else DittoFs:Admin:Token or :TokenFile from the configuration)",
            Recursive = true,
        };
        Option<bool> Json(string what) => new("--json") { Description = what };

        var root = new RootCommand("DittoFs: a userspace NFS server. Without a verb, runs the server (same as `serve`).");
        root.Add(server);
        root.Add(token);

        // The server's settings ride on the command line as configuration keys (--DittoFs:NfsPort=2049).
        Argument<string[]> Settings() => new SettingsArgument().Argument;
        Argument<string[]> rootSettings = Settings();
        root.Add(rootSettings);
        root.SetAction(parse => { serveAction?.Invoke(parse.GetValue(rootSettings) ?? []); return 0; });

        var serveSettings = Settings();
        var serve = new Command("serve", "Run the server (the default). Settings: appsettings.json, DittoFs__* environment variables, --DittoFs:Key=value arguments.") { serveSettings };
        serve.SetAction(parse => { serveAction?.Invoke(parse.GetValue(serveSettings) ?? []); return 0; });
        root.Add(serve);

        var configSettings = Settings();
        var configCheck = new Command("check", "Validate the configuration (appsettings.json, environment, these --DittoFs:Key=value arguments) without starting: exit 0 valid, 1 not") { configSettings };
        configCheck.SetAction(parse => ConfigCheck(parse.GetValue(configSettings) ?? []));
        root.Add(new Command("config", "The server's configuration") { configCheck });

        var healthz = new Option<bool>("--healthz") { Description = "Only ask /healthz (is the process up?): exit 0 or 1, print nothing (the container's HEALTHCHECK)" };
        var statusJson = Json("Print the server's JSON as is");
        var status = new Command("status", "Show the running server's state (GET /admin/status); exit 1 if it is unreachable or not ready") { healthz, statusJson };
        status.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => StatusAsync(address, parse.GetValue(healthz), parse.GetValue(statusJson), ct)));
        root.Add(status);

        root.Add(ExportsCommands.Build(server, token, Json));

        var flushJson = Json("Print the final progress line as JSON instead of a progress bar");
        var flush = new Command("flush", "Wait until the payload store's write-back backlog is drained (POST /admin/flush), with a progress bar") { flushJson };
        flush.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => FlushAsync(address, Token(parse.GetValue(token)), parse.GetValue(flushJson), ct)));
        root.Add(flush);

        var gcJson = Json("Print the server's JSON as is");
        var gc = new Command("gc", "Delete payload no file references any more (POST /admin/gc)") { gcJson };
        gc.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => GcAsync(address, Token(parse.GetValue(token)), parse.GetValue(gcJson), ct)));
        root.Add(gc);

        var dataDirectory = new Option<string?>("--data-directory", "-d") { Description = "The data directory (default: DittoFs:DataDirectory from the configuration)" };
        var export = new Option<string[]>("--export", "-e") { Description = "Check only these exports (default: every configured export)", AllowMultipleArgumentsPerToken = true };
        var checkJson = Json("Print the report as JSON");
        var check = new Command("check",
            "Walk the metadata and verify every block of every file exists in the payload store, with a progress bar. " +
            "Opens the data directory itself: stop the server first. Exit 2 on damage.") { dataDirectory, export, checkJson };
        check.SetAction((parse, ct) => CheckCommand.RunAsync(Configuration(), parse.GetValue(dataDirectory), parse.GetValue(export), parse.GetValue(checkJson), ct));
        root.Add(check);

        var force = new Option<bool>("--force") { Description = "Replace metadata the data directory already holds" };
        var restore = new Command("restore",
            "Rebuild the data directory's metadata from the bucket (DittoFs:S3; shipped by default with PayloadStore=S3): " +
            "the latest snapshot and the WAL after it. For a new instance; stop the server first. Refuses existing metadata unless --force.") { dataDirectory, force };
        restore.SetAction((parse, ct) => RestoreCommand.RunAsync(Configuration(), parse.GetValue(dataDirectory), parse.GetValue(force), ct));
        root.Add(restore);
        return root;
    }

    /// <summary>The configuration the server would see: appsettings.json next to the binary (and its environment's), the environment, then these arguments.</summary>
    internal static IConfigurationRoot ConfigurationRoot(string[] args)
    {
        string environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, $"appsettings.{environment}.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }

    /// <summary>The server's configuration sources, without the command line.</summary>
    internal static DittoFsOptions Configuration() =>
        ConfigurationRoot([]).GetSection(DittoFsOptions.Section).Get<DittoFsOptions>() ?? new DittoFsOptions();

    /// <summary>
    /// Validates <paramref name="configuration"/>: warnings and errors one line each on stderr.
    /// Null when invalid (the caller exits 1).
    /// </summary>
    internal static DittoFsOptions? CheckConfiguration(IConfiguration configuration)
    {
        ConfigurationValidator.Report report;
        try
        {
            report = ConfigurationValidator.Validate(configuration);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException)
        {
            Console.Error.WriteLine($"dittofs: invalid configuration: {e.Message}");
            return null;
        }
        foreach (string warning in report.Warnings) Console.Error.WriteLine($"dittofs: warning: {warning}");
        foreach (string error in report.Errors) Console.Error.WriteLine($"dittofs: invalid configuration: {error}");
        return report.Options;
    }

    private static int ConfigCheck(string[] settings)
    {
        IConfigurationRoot configuration;
        try
        {
            configuration = ConfigurationRoot(settings);
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException)
        {
            Console.Error.WriteLine($"dittofs: invalid configuration: {e.Message}");
            return 1;
        }
        DittoFsOptions? options = CheckConfiguration(configuration);
        if (options is null) return 1;
        Console.WriteLine($"configuration valid: data {Path.GetFullPath(options.DataDirectory)}, metadata {options.MetadataStore}, payload {options.PayloadStore}, " +
            $"ports nfs {options.NfsPort} mount {options.MountPort} http {options.HttpPort}, {options.Exports.Count} exports");
        return 0;
    }

    /// <summary>Runs <paramref name="action"/> against the server's address, or says in one line why the address is not one.</summary>
    private static Task<int> WithServer(string? server, Func<Uri, Task<int>> action)
    {
        Uri? address = BaseAddress(server, out string? problem);
        if (address is null)
        {
            Console.Error.WriteLine($"dittofs: {problem}");
            return Task.FromResult(1);
        }
        return action(address);
    }

    /// <summary>--server, else DITTOFS_SERVER, else the configured HTTP port on loopback; "host:port" means http://host:port/.</summary>
    internal static Uri? BaseAddress(string? server, out string? problem)
    {
        problem = null;
        server ??= Environment.GetEnvironmentVariable("DITTOFS_SERVER");
        server ??= $"http://127.0.0.1:{Configuration().HttpPort}";
        string text = server.Trim();
        if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out Uri? address) || address.Scheme is not ("http" or "https") || address.Host.Length == 0)
        {
            problem = $"--server {server}: not an HTTP address (e.g. 127.0.0.1:9464 or http://host:9464)";
            return null;
        }
        return address;
    }

    /// <summary>--token, else DITTOFS_ADMIN_TOKEN, else the server's own setting (so `docker exec ... dittofs gc` finds the container's token or secret).</summary>
    internal static string? Token(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return option.Trim();
        string? variable = Environment.GetEnvironmentVariable("DITTOFS_ADMIN_TOKEN");
        if (!string.IsNullOrWhiteSpace(variable)) return variable.Trim();
        try
        {
            return Configuration().Admin.ResolveToken();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"dittofs: cannot read DittoFs:Admin:TokenFile: {e.Message}");
            return null;
        }
    }

    internal static HttpClient Client(Uri baseAddress, TimeSpan timeout, string? token = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = timeout };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<int> StatusAsync(Uri baseAddress, bool healthzOnly, bool json, CancellationToken ct)
    {
        using HttpClient http = Client(baseAddress, TimeSpan.FromSeconds(10));
        try
        {
            if (healthzOnly)
            {
                using HttpResponseMessage health = await http.GetAsync("healthz", ct);
                return health.IsSuccessStatusCode ? 0 : 1;
            }
            string body = await http.GetStringAsync("admin/status", ct);
            JsonNode status = JsonNode.Parse(body)!;
            if (json)
            {
                Console.WriteLine(body);
            }
            else
            {
                bool ready = status["ready"]!.GetValue<bool>();
                Console.WriteLine($"server     {baseAddress}");
                Console.WriteLine($"version    {status["version"]}");
                Console.WriteLine($"uptime     {TimeSpan.FromSeconds(status["uptimeSeconds"]!.GetValue<double>()):d\\.hh\\:mm\\:ss}");
                Console.WriteLine($"ready      {(ready ? "yes" : "no: " + status["problem"])}");
                Console.WriteLine($"data       {status["dataDirectory"]} (metadata: {status["metadataStore"]}, payload: {status["payloadStore"]})");
                Console.WriteLine($"ports      nfs {status["ports"]!["nfs"]}, mount {status["ports"]!["mount"]}, http {status["ports"]!["http"]}");
                if (status["flushBacklog"] is JsonObject backlog)
                {
                    Console.WriteLine($"backlog    {backlog["blocks"]} blocks, {ProgressBar.Bytes(backlog["bytes"]!.GetValue<long>())}");
                }
                double grace = status["graceSeconds"]?.GetValue<double>() ?? 0;
                Console.WriteLine($"grace      {(grace > 0 ? $"NFSv4 grace period, {grace:0} s left (new opens and locks wait while clients reclaim)" : "no")}");
                foreach (JsonNode? e in status["exports"]!.AsArray()) Console.WriteLine($"export     {e!["path"]}{(e["readOnly"]!.GetValue<bool>() ? " (read-only)" : "")}");
            }
            return status["ready"]!.GetValue<bool>() ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            if (!healthzOnly) Console.Error.WriteLine($"dittofs: cannot reach {baseAddress}: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> FlushAsync(Uri baseAddress, string? token, bool json, CancellationToken ct)
    {
        using HttpClient http = Client(baseAddress, Timeout.InfiniteTimeSpan, token);
        ProgressBar bar = ProgressBar.ForStandardError();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "admin/flush");
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"dittofs: flush refused ({(int)response.StatusCode}): {(await response.Content.ReadAsStringAsync(ct)).Trim()}");
                return 1;
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                JsonNode progress = JsonNode.Parse(line)!;
                long blocks = progress["blocks"]?.GetValue<long>() ?? 0;
                long bytes = progress["bytes"]?.GetValue<long>() ?? 0;
                if (progress["done"]?.GetValue<bool>() == true)
                {
                    if (json) Console.WriteLine(line);
                    if (progress["error"] is { } error)
                    {
                        Console.Error.WriteLine();
                        Console.Error.WriteLine($"dittofs: flush failed: {error}");
                        return 1;
                    }
                    if (!json) bar.Update(1, 1, "flushed: nothing left to write back", final: true);
                    return 0;
                }
                if (json) continue;
                long initial = Math.Max(progress["initialBlocks"]?.GetValue<long>() ?? blocks, 1);
                bar.Update(initial - blocks, initial, $"{blocks} blocks ({ProgressBar.Bytes(bytes)}) left");
            }
            Console.Error.WriteLine("dittofs: the server closed the flush before it was done");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            Console.Error.WriteLine($"dittofs: flush via {baseAddress} failed: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> GcAsync(Uri baseAddress, string? token, bool json, CancellationToken ct)
    {
        using HttpClient http = Client(baseAddress, Timeout.InfiniteTimeSpan, token);
        try
        {
            using HttpResponseMessage response = await http.PostAsync("admin/gc", null, ct);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"dittofs: gc refused ({(int)response.StatusCode}): {(await response.Content.ReadAsStringAsync(ct)).Trim()}");
                return 1;
            }
            JsonNode result = (await response.Content.ReadFromJsonAsync<JsonNode>(ct))!;
            if (json)
            {
                Console.WriteLine(result.ToJsonString());
                return 0;
            }
            Console.WriteLine($"scanned {result["scanned"]}, removed {result["removed"]} ({ProgressBar.Bytes(result["removedBytes"]!.GetValue<long>())})");
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            Console.Error.WriteLine($"dittofs: gc via {baseAddress} failed: {e.Message}");
            return 1;
        }
    }
}
