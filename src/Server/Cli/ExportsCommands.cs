using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DittoFs.Server.Cli;

/// <summary><c>dittofs exports</c>: the running server's exports (GET /admin/exports).</summary>
internal static class ExportsCommands
{
    public static Command Build(Option<string?> server, Option<string?> token, Func<string, Option<bool>> json)
    {
        _ = token;
        var listJson = json("Print the server's JSON as is");
        var exports = new Command("exports", "List the running server's exports (GET /admin/exports); `exports list` does the same") { listJson };
        exports.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => ListAsync(address, parse.GetValue(listJson), ct)));
        var listJson2 = json("Print the server's JSON as is");
        var list = new Command("list", "List the running server's exports") { listJson2 };
        list.SetAction((parse, ct) => WithServer(parse.GetValue(server), address => ListAsync(address, parse.GetValue(listJson2), ct)));
        exports.Add(list);
        return exports;
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

}
