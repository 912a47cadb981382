using System.CommandLine;
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
    private static readonly string[] s_verbs = ["status", "exports", "flush", "gc", "check", "restore"];
    private static readonly string[] s_help = ["-h", "--help", "-?", "help", "--version"];

    /// <summary>True when the arguments ask for an admin verb or for help, not for the server.</summary>
    public static bool IsAdminInvocation(string[] args) =>
        args.Length > 0 && (s_verbs.Contains(args[0]) || s_help.Contains(args[0]) || (args[0] == "serve" && args.Skip(1).Any(s_help.Contains)));

    /// <summary>The server's own arguments: everything but a leading <c>serve</c>.</summary>
    public static string[] ServeArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static Task<int> RunAsync(string[] args) => Build().Parse(args).InvokeAsync();

    internal static RootCommand Build()
    {
        var server = new Option<string?>("--server", "-s")
        {
            Description = "The server's HTTP base address (default: DITTOFS_SERVER, else http://127.0.0.1:<DittoFs:HttpPort>)",
            Recursive = true,
        };
        var token = new Option<string?>("--token")
        {
            Description = "The admin bearer token for flush and gc (default: DITTOFS_ADMIN_TOKEN, else DittoFs:Admin:Token or :TokenFile from the configuration)",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON as is" };

        var root = new RootCommand("DittoFs: a userspace NFS server. Without a verb, runs the server (same as `serve`).");
        root.Add(server);
        root.Add(token);

        var serve = new Command("serve", "Run the server (the default). Settings: appsettings.json, DittoFs__* environment variables, --DittoFs:Key=value arguments.");
        serve.TreatUnmatchedTokensAsErrors = false;
        root.Add(serve);

        var healthz = new Option<bool>("--healthz") { Description = "Only ask /healthz (is the process up?): exit 0 or 1, print nothing (the container's HEALTHCHECK)" };
        var status = new Command("status", "Show the running server's state (GET /admin/status); exit 1 if it is unreachable or not ready") { healthz, json };
        status.SetAction((parse, ct) => StatusAsync(BaseAddress(parse.GetValue(server)), parse.GetValue(healthz), parse.GetValue(json), ct));
        root.Add(status);

        var exports = new Command("exports", "List the running server's exports (GET /admin/exports)") { json };
        exports.SetAction((parse, ct) => ExportsAsync(BaseAddress(parse.GetValue(server)), parse.GetValue(json), ct));
        root.Add(exports);

        var flush = new Command("flush", "Wait until the payload store's write-back backlog is drained (POST /admin/flush), with a progress bar");
        flush.SetAction((parse, ct) => FlushAsync(BaseAddress(parse.GetValue(server)), Token(parse.GetValue(token)), ct));
        root.Add(flush);

        var gc = new Command("gc", "Delete payload no file references any more (POST /admin/gc)");
        gc.SetAction((parse, ct) => GcAsync(BaseAddress(parse.GetValue(server)), Token(parse.GetValue(token)), ct));
        root.Add(gc);

        var dataDirectory = new Option<string?>("--data-directory", "-d") { Description = "The data directory (default: DittoFs:DataDirectory from the configuration)" };
        var export = new Option<string[]>("--export", "-e") { Description = "Check only these exports (default: every configured export)", AllowMultipleArgumentsPerToken = true };
        var check = new Command("check",
            "Walk the metadata and verify every block of every file exists in the payload store, with a progress bar. " +
            "Opens the data directory itself: stop the server first. Exit 2 on damage.") { dataDirectory, export };
        check.SetAction((parse, ct) => CheckCommand.RunAsync(Configuration(), parse.GetValue(dataDirectory), parse.GetValue(export), ct));
        root.Add(check);

        var force = new Option<bool>("--force") { Description = "Replace metadata the data directory already holds" };
        var restore = new Command("restore",
            "Rebuild the data directory's metadata from the bucket (DittoFs:S3; shipped by default with PayloadStore=S3): " +
            "the latest snapshot and the WAL after it. For a new instance; stop the server first. Refuses existing metadata unless --force.") { dataDirectory, force };
        restore.SetAction((parse, ct) => RestoreCommand.RunAsync(Configuration(), parse.GetValue(dataDirectory), parse.GetValue(force), ct));
        root.Add(restore);
        return root;
    }

    /// <summary>The server's configuration sources, without the command line: appsettings.json next to the binary, then the environment.</summary>
    internal static DittoFsOptions Configuration()
    {
        IConfigurationRoot config = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        return config.GetSection(DittoFsOptions.Section).Get<DittoFsOptions>() ?? new DittoFsOptions();
    }

    private static Uri BaseAddress(string? server)
    {
        server ??= Environment.GetEnvironmentVariable("DITTOFS_SERVER");
        server ??= $"http://127.0.0.1:{Configuration().HttpPort}";
        return new Uri(server.EndsWith('/') ? server : server + "/");
    }

    /// <summary>--token, else DITTOFS_ADMIN_TOKEN, else the server's own setting (so `docker exec ... dittofs gc` finds the container's token or secret).</summary>
    private static string? Token(string? option)
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

    private static HttpClient Client(Uri baseAddress, TimeSpan timeout, string? token = null)
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

    private static async Task<int> ExportsAsync(Uri baseAddress, bool json, CancellationToken ct)
    {
        using HttpClient http = Client(baseAddress, TimeSpan.FromSeconds(10));
        try
        {
            string body = await http.GetStringAsync("admin/exports", ct);
            if (json)
            {
                Console.WriteLine(body);
                return 0;
            }
            Console.WriteLine($"{"PATH",-24} {"ACCESS",-6} {"SQUASH",-6} CLIENTS");
            foreach (JsonNode? e in JsonNode.Parse(body)!.AsArray())
            {
                string clients = e!["allowedClients"]!.AsArray().Count == 0 ? "*" : string.Join(",", e["allowedClients"]!.AsArray().Select(c => c!.ToString()));
                Console.WriteLine($"{e["path"],-24} {(e["readOnly"]!.GetValue<bool>() ? "ro" : "rw"),-6} {e["squash"],-6} {clients}");
            }
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            Console.Error.WriteLine($"dittofs: cannot list exports from {baseAddress}: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> FlushAsync(Uri baseAddress, string? token, CancellationToken ct)
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
                    if (progress["error"] is { } error)
                    {
                        Console.Error.WriteLine();
                        Console.Error.WriteLine($"dittofs: flush failed: {error}");
                        return 1;
                    }
                    bar.Update(1, 1, "flushed: nothing left to write back", final: true);
                    return 0;
                }
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

    private static async Task<int> GcAsync(Uri baseAddress, string? token, CancellationToken ct)
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
