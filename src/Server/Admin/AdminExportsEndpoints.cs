using System.Text;
using System.Text.Json;
using DittoFs.Server.Exports;

namespace DittoFs.Server.Admin;

/// <summary>
/// Runtime export changes, behind <see cref="AdminAuthorization"/> (mapped into the admin group):
/// <list type="bullet">
/// <item><c>POST /admin/exports</c> with an export's settings as JSON, keys as in DittoFs:Exports:N
/// (<c>{"path":"/scratch","readOnly":true,"squash":"None","allowedClients":["10.0.0.0/8"]}</c>): 201 and the export.</item>
/// <item><c>PUT /admin/exports/{name or path}</c> with the settings to change (the others stay): 200 and the export.</item>
/// <item><c>DELETE /admin/exports/{name or path}</c>: 200 and the export removed.</item>
/// </list>
/// Checked as start-up checks DittoFs:Exports; a refusal is one line of text: 400 (invalid), 404 (no such
/// export), 409 (exists). Changes are kept in exports.json in the data directory (<see cref="ExportCatalog"/>).
/// </summary>
internal static class AdminExportsEndpoints
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>The section the body is read as: its key prefixes the messages (<c>Export:Squash=Bogus: ...</c>).</summary>
    private const string Section = "Export";

    public static RouteGroupBuilder MapDittoFsExportChanges(this RouteGroupBuilder admin)
    {
        admin.MapPost("/exports", async (HttpRequest request, StorageHost storage) =>
        {
            if (!storage.IsReady) return AdminEndpoints.NotReady();
            (IConfigurationSection? body, string? problem) = await ReadBodyAsync(request);
            return body is null ? Text(400, problem!) : Answer(await storage.ExportCatalog.AddAsync(body));
        });
        // {**key}: a path's slashes are part of the key ("/admin/exports//data/projects" or "%2Fdata%2Fprojects").
        admin.MapPut("/exports/{**key}", async (string key, HttpRequest request, StorageHost storage) =>
        {
            if (!storage.IsReady) return AdminEndpoints.NotReady();
            (IConfigurationSection? body, string? problem) = await ReadBodyAsync(request);
            return body is null ? Text(400, problem!) : Answer(await storage.ExportCatalog.UpdateAsync(Key(key), body));
        });
        admin.MapDelete("/exports/{**key}", async (string key, StorageHost storage) =>
            storage.IsReady ? Answer(await storage.ExportCatalog.RemoveAsync(Key(key))) : AdminEndpoints.NotReady());
        return admin;
    }

    /// <summary>What GET /admin/exports lists for one export (and what a change answers).</summary>
    public static object Describe(Export e) => new
    {
        name = e.Name,
        path = e.Path,
        readOnly = e.ReadOnly,
        squash = e.Options.Squash.ToString(),
        allowedClients = e.Options.AllowedClients,
        anonymousUid = e.Options.AnonymousUid,
        anonymousGid = e.Options.AnonymousGid,
        allowAuthNone = e.Options.AllowAuthNone,
        volume = e.Root.Volume,
    };

    /// <summary>"%2Fdata" is "/data"; a key without its slash is still tried as a path (<see cref="ExportTable.FindByNameOrPath"/>).</summary>
    private static string Key(string key) => Uri.UnescapeDataString(key);

    /// <summary>The JSON body as a configuration section, so the start-up checks (keys, types, enums) apply as they are.</summary>
    private static async Task<(IConfigurationSection?, string?)> ReadBodyAsync(HttpRequest request)
    {
        string json;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            json = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        }
        try
        {
            using (JsonDocument document = JsonDocument.Parse(json))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, "the body must be a JSON object of export settings (e.g. {\"path\":\"/scratch\"})");
            }
            IConfigurationRoot configuration = new ConfigurationBuilder()
                .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"{Section}\":{json}}}")))
                .Build();
            return (configuration.GetSection(Section), null);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidDataException)
        {
            return (null, $"the body is not JSON: {e.Message.Split('\n')[0].Trim()}");
        }
    }

    private static IResult Answer(ExportChange change) =>
        change.Error is not null ? Text(change.Status, change.Error)
        : change.Export is null ? Results.Json(new { }, s_json, statusCode: change.Status)
        : Results.Json(Describe(change.Export), s_json, statusCode: change.Status);

    private static IResult Text(int status, string message) => Results.Text(message + "\n", statusCode: status);
}
