using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DittoFs.Server.Cli;

/// <summary>
/// <c>dittofs exports</c>: the running server's exports (GET /admin/exports), and changes to them at run
/// time: <c>add</c> (POST /admin/exports), <c>update</c> (PUT) and <c>remove</c> (DELETE /admin/exports/{name or path}),
/// kept by the server in its data directory. The values go to the server as typed: it checks them as it
/// checks DittoFs:Exports at start-up and answers one line, printed here with exit code 1.
/// </summary>
internal static class ExportsCommands
{
    public static Command Build(Option<string?> server, Option<string?> token, Func<string, Option<bool>> json)
    {
        var listJson = json("Print the server's JSON as is");
        var exports = new Command("exports", "List the running server's exports (GET /admin/exports); `exports list` does the same") { listJson };
        exports.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => ListAsync(address, parse.GetValue(listJson), ct)));
        var listJson2 = json("Print the server's JSON as is");
        var list = new Command("list", "List the running server's exports") { listJson2 };
        list.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => ListAsync(address, parse.GetValue(listJson2), ct)));
        exports.Add(list);
        exports.Add(Add(server, token, json));
        exports.Add(Update(server, token, json));
        exports.Add(Remove(server, token, json));
        return exports;
    }

    private static Command Add(Option<string?> server, Option<string?> token, Func<string, Option<bool>> json)
    {
        var path = new Argument<string>("path") { Description = "The path clients mount, e.g. /scratch" };
        var name = new Option<string?>("--name") { Description = "The export's name for update and remove (default: its path)" };
        var readOnly = new Option<bool>("--read-only") { Description = "Refuse changes (NFS3ERR_ROFS / NFS4ERR_ROFS)" };
        var allowAuthNone = new Option<bool>("--allow-auth-none") { Description = "Accept AUTH_NONE calls (as the anonymous user)" };
        Settings settings = new();
        var asJson = json("Print the server's JSON answer as is");
        var add = new Command("add", "Add an export to the running server (POST /admin/exports); kept across restarts") { path, name, readOnly, allowAuthNone, asJson };
        settings.AddTo(add);
        add.SetAction((parse, ct) => WithServer(parse.GetValue(server), address =>
        {
            var body = new JsonObject { ["path"] = parse.GetValue(path) };
            if (parse.GetValue(name) is { } n) body["name"] = n;
            if (parse.GetValue(readOnly)) body["readOnly"] = true;
            if (parse.GetValue(allowAuthNone)) body["allowAuthNone"] = true;
            settings.Into(parse, body);
            return SendAsync(address, DittoFsCli.Token(parse.GetValue(token)), HttpMethod.Post, "admin/exports", body, "add", parse.GetValue(asJson), ct);
        }));
        return add;
    }

    private static Command Update(Option<string?> server, Option<string?> token, Func<string, Option<bool>> json)
    {
        var key = new Argument<string>("export") { Description = "The export's name or path" };
        var path = new Option<string?>("--path") { Description = "A new path for clients to mount (the export's files and handles stay)" };
        var readOnly = new Option<bool>("--read-only") { Description = "Make it read-only" };
        var readWrite = new Option<bool>("--read-write") { Description = "Make it writable" };
        var allowAuthNone = new Option<bool>("--allow-auth-none") { Description = "Accept AUTH_NONE calls" };
        var denyAuthNone = new Option<bool>("--deny-auth-none") { Description = "Refuse AUTH_NONE calls" };
        var allClients = new Option<bool>("--all-clients") { Description = "Allow every client address (clears the networks)" };
        Settings settings = new();
        var asJson = json("Print the server's JSON answer as is");
        var update = new Command("update", "Change a running export's settings (PUT /admin/exports/{export}); the others stay; applies to the next request") { key, path, readOnly, readWrite, allowAuthNone, denyAuthNone, allClients, asJson };
        settings.AddTo(update);
        update.Validators.Add(result =>
        {
            if (result.GetValue(readOnly) && result.GetValue(readWrite)) result.AddError("--read-only and --read-write: one or the other");
            if (result.GetValue(allowAuthNone) && result.GetValue(denyAuthNone)) result.AddError("--allow-auth-none and --deny-auth-none: one or the other");
            if (result.GetValue(allClients) && result.GetValue(settings.AllowedClients) is { Length: > 0 }) result.AddError("--all-clients and --allowed-client: one or the other");
        });
        update.SetAction((parse, ct) => WithServer(parse.GetValue(server), address =>
        {
            var body = new JsonObject();
            if (parse.GetValue(path) is { } p) body["path"] = p;
            if (parse.GetValue(readOnly)) body["readOnly"] = true;
            if (parse.GetValue(readWrite)) body["readOnly"] = false;
            if (parse.GetValue(allowAuthNone)) body["allowAuthNone"] = true;
            if (parse.GetValue(denyAuthNone)) body["allowAuthNone"] = false;
            if (parse.GetValue(allClients)) body["allowedClients"] = new JsonArray();
            settings.Into(parse, body);
            if (body.Count == 0)
            {
                Console.Error.WriteLine("dittofs: exports update: nothing to change (see --help)");
                return Task.FromResult(1);
            }
            return SendAsync(address, DittoFsCli.Token(parse.GetValue(token)), HttpMethod.Put, Route(parse.GetValue(key)!), body, "update", parse.GetValue(asJson), ct);
        }));
        return update;
    }

    private static Command Remove(Option<string?> server, Option<string?> token, Func<string, Option<bool>> json)
    {
        var key = new Argument<string>("export") { Description = "The export's name or path" };
        var asJson = json("Print the server's JSON answer as is");
        var remove = new Command("remove", "Remove an export from the running server (DELETE /admin/exports/{export}): its clients get STALE handles; kept across restarts") { key, asJson };
        remove.SetAction((parse, ct) => WithServer(parse.GetValue(server), address =>
            SendAsync(address, DittoFsCli.Token(parse.GetValue(token)), HttpMethod.Delete, Route(parse.GetValue(key)!), null, "remove", parse.GetValue(asJson), ct)));
        return remove;
    }

    /// <summary>Settings add and update share; sent as typed, so the server's start-up rules judge them.</summary>
    private sealed class Settings
    {
        public readonly Option<string?> Squash = new("--squash") { Description = "None, Root (default) or All" };
        public readonly Option<string[]> AllowedClients = new("--allowed-client") { Description = "A client network allowed (CIDR, e.g. 10.0.0.0/8); repeat for more; replaces the list (default: everyone)", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> AnonymousUid = new("--anonymous-uid") { Description = "The uid squashed callers get (default 65534)" };
        public readonly Option<string?> AnonymousGid = new("--anonymous-gid") { Description = "The gid squashed callers get (default 65534)" };

        public void AddTo(Command command)
        {
            command.Add(Squash);
            command.Add(AllowedClients);
            command.Add(AnonymousUid);
            command.Add(AnonymousGid);
        }

        public void Into(ParseResult parse, JsonObject body)
        {
            if (parse.GetValue(Squash) is { } squash) body["squash"] = squash;
            if (parse.GetValue(AllowedClients) is { Length: > 0 } clients) body["allowedClients"] = new JsonArray([.. clients.Select(c => (JsonNode?)JsonValue.Create(c))]);
            if (parse.GetValue(AnonymousUid) is { } uid) body["anonymousUid"] = uid;
            if (parse.GetValue(AnonymousGid) is { } gid) body["anonymousGid"] = gid;
        }
    }

    /// <summary>A path's slashes escaped: the server takes the key whole.</summary>
    private static string Route(string key) => "admin/exports/" + Uri.EscapeDataString(key);

    private static async Task<int> SendAsync(Uri baseAddress, string? token, HttpMethod method, string route, JsonObject? body, string verb, bool json, CancellationToken ct)
    {
        using HttpClient http = DittoFsCli.Client(baseAddress, TimeSpan.FromSeconds(30), token);
        try
        {
            using var request = new HttpRequestMessage(method, route);
            if (body is not null) request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            using HttpResponseMessage response = await http.SendAsync(request, ct);
            string text = (await response.Content.ReadAsStringAsync(ct)).Trim();
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"dittofs: exports {verb} refused ({(int)response.StatusCode}): {text.Split('\n')[0]}");
                return 1;
            }
            if (json)
            {
                Console.WriteLine(text);
                return 0;
            }
            JsonNode e = JsonNode.Parse(text)!;
            string done = verb switch { "add" => "added", "update" => "updated", _ => "removed" };
            Console.WriteLine($"{done} {e["name"]}: {Describe(e)}");
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            Console.Error.WriteLine($"dittofs: exports {verb} via {baseAddress} failed: {e.Message}");
            return 1;
        }
    }

    private static string Describe(JsonNode e)
    {
        string clients = e["allowedClients"]!.AsArray().Count == 0 ? "*" : string.Join(",", e["allowedClients"]!.AsArray().Select(c => c!.ToString()));
        return $"{e["path"]} {(e["readOnly"]!.GetValue<bool>() ? "ro" : "rw")} squash {e["squash"]} clients {clients}";
    }

    private static Task<int> WithServer(string? server, Func<Uri, Task<int>> action)
    {
        Uri? address = DittoFsCli.BaseAddress(server, out string? problem);
        if (address is null)
        {
            Console.Error.WriteLine($"dittofs: {problem}");
            return Task.FromResult(1);
        }
        return action(address);
    }

    private static async Task<int> ListAsync(Uri baseAddress, bool json, CancellationToken ct)
    {
        using HttpClient http = DittoFsCli.Client(baseAddress, TimeSpan.FromSeconds(10));
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
                string named = e["name"]?.ToString() is { } name && name != e["path"]!.ToString() ? $" (name {name})" : "";
                Console.WriteLine($"{e["path"],-24} {(e["readOnly"]!.GetValue<bool>() ? "ro" : "rw"),-6} {e["squash"],-6} {clients}{named}");
            }
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            Console.Error.WriteLine($"dittofs: cannot list exports from {baseAddress}: {e.Message}");
            return 1;
        }
    }

}
