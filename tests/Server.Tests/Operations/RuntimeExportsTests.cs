using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using Xunit;
using V4 = DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// Exports changed at run time through the admin API (POST/PUT/DELETE /admin/exports) against the server
/// process, seen by raw NFSv3, MOUNT and NFSv4.1 calls: an added export mounts and takes writes; an update
/// applies to the next request; a removed export's handles answer STALE (also once a new export takes its
/// path), its MOUNT NOENT, its pseudo-fs entry is gone; the changes survive a restart (exports.json).
/// </summary>
public sealed class RuntimeExportsTests
{
    private const string Token = "runtime-exports-token";

    private static HttpClient Http(ServerProcess server, string? bearer = Token) => new()
    {
        BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}/"),
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = bearer is null ? null : new AuthenticationHeaderValue("Bearer", bearer) },
    };

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string route, string? json = null)
    {
        using var request = new HttpRequestMessage(method, route);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static MountStatus MountStatusOf(Nfs3Client client, string path) =>
        client.Rpc.Call(Nfs3Client.MountProgram, 3, (uint)MountProcedure.Mnt, a => a.String(path)).Decode<MountRes3>().Status;

    private static V4.Nfs4Status PutFh(Nfs4TestClient client, byte[] handle) =>
        client.Compound(2, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.PutFh(b, handle);
        }).Status;

    private static V4.Nfs4Status LookupFromRoot(Nfs4TestClient client, params string[] names) =>
        client.Compound(2 + names.Length, b =>
        {
            client.Sequence(b);
            Nfs4TestClient.Op(b, V4.Nfs4Op.PutRootFh);
            foreach (string name in names) Nfs4TestClient.Lookup(b, name);
        }).Status;

    [Fact]
    public async Task AddUpdateRemoveOverNfs3MountAndNfs41AndAcrossARestart()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string>
        {
            ["DittoFs:Admin:Token"] = Token,
            ["DittoFs:Exports:1:Path"] = "/other",
            ["DittoFs:Exports:1:Squash"] = "None",
        });
        server.Start();
        using HttpClient http = Http(server);

        // Behind the admin authorization like flush and gc.
        using (HttpClient anonymous = Http(server, bearer: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(anonymous, HttpMethod.Post, "admin/exports", """{"path":"/added"}""")).Status);
        }

        var (status, body) = await SendAsync(http, HttpMethod.Post, "admin/exports", """{"path":"/added","squash":"None"}""");
        Assert.True(status == HttpStatusCode.Created, body);
        uint firstVolume = JsonNode.Parse(body)!["volume"]!.GetValue<uint>();

        byte[] file;
        using (var v3 = new Nfs3Client(server.NfsPort))
        {
            byte[] root = v3.Mount("/added");
            file = v3.CreateFile(root, "f");
            Assert.Equal(Nfs3Status.Ok, v3.Write(file, 0, "runtime"u8.ToArray(), StableHow.FileSync).Status);
            Assert.Equal(Nfs3Status.Ok, v3.Lookup(root, "f").Status);
            Assert.Equal("runtime"u8.ToArray(), v3.ReadAll(file, 7));

            // Update: read-only from the next request on, and back.
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "admin/exports/%2Fadded", """{"readOnly":true}""")).Status);
            Assert.Equal(Nfs3Status.RoFs, v3.Write(file, 0, "x"u8.ToArray(), StableHow.FileSync).Status);
            Assert.Equal(Nfs3Status.Ok, v3.GetAttr(file).Status);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "admin/exports/added", """{"readOnly":false}""")).Status);
            Assert.Equal(Nfs3Status.Ok, v3.Write(file, 7, "!"u8.ToArray(), StableHow.FileSync).Status);
        }

        using (var v4 = new Nfs4TestClient(server.NfsPort))
        {
            v4.Establish("runtime-exports-" + Guid.NewGuid().ToString("N"));
            Assert.Equal(V4.Nfs4Status.Ok, LookupFromRoot(v4, "added", "f"));
            Assert.Equal(V4.Nfs4Status.Ok, PutFh(v4, file));

            // A nested path makes a pseudo directory; removing the export takes it away again.
            Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, HttpMethod.Post, "admin/exports", """{"path":"/deep/er","name":"deeper"}""")).Status);
            Assert.Equal(V4.Nfs4Status.Ok, LookupFromRoot(v4, "deep", "er"));
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Delete, "admin/exports/deeper")).Status);
            Assert.Equal(V4.Nfs4Status.NoEnt, LookupFromRoot(v4, "deep"));

            (status, body) = await SendAsync(http, HttpMethod.Delete, "admin/exports/%2Fadded");
            Assert.True(status == HttpStatusCode.OK, body);
            Assert.Equal(V4.Nfs4Status.Stale, PutFh(v4, file));
            Assert.Equal(V4.Nfs4Status.NoEnt, LookupFromRoot(v4, "added"));
            Assert.Equal(V4.Nfs4Status.Ok, LookupFromRoot(v4, "export"));
        }
        using (var v3 = new Nfs3Client(server.NfsPort))
        {
            Assert.Equal(Nfs3Status.Stale, v3.GetAttr(file).Status);
            Assert.Equal(Nfs3Status.Stale, v3.Write(file, 0, "x"u8.ToArray(), StableHow.FileSync).Status);
            Assert.Equal(MountStatus.NoEnt, MountStatusOf(v3, "/added"));
        }

        // The same path again is another export: a new volume, empty, and the old handles stay STALE.
        (status, body) = await SendAsync(http, HttpMethod.Post, "admin/exports", """{"path":"/added","squash":"None"}""");
        Assert.True(status == HttpStatusCode.Created, body);
        Assert.NotEqual(firstVolume, JsonNode.Parse(body)!["volume"]!.GetValue<uint>());
        byte[] second;
        using (var v3 = new Nfs3Client(server.NfsPort))
        {
            Assert.Equal(Nfs3Status.Stale, v3.GetAttr(file).Status);
            byte[] root = v3.Mount("/added");
            Assert.Equal(Nfs3Status.NoEnt, v3.Lookup(root, "f").Status);
            second = v3.CreateFile(root, "g");
        }
        // A configured export removed at run time stays removed; a configured one updated stays updated.
        byte[] other;
        using (var v3 = new Nfs3Client(server.NfsPort))
        {
            other = v3.Mount("/other");
        }
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "admin/exports/%2Fexport", """{"readOnly":true}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Delete, "admin/exports/other")).Status);
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "data", "exports.json")));

        server.Stop();
        server.Start();
        JsonArray listed = JsonNode.Parse(await http.GetStringAsync("admin/exports"))!.AsArray();
        Assert.Equal(["/added", "/export"], listed.Select(e => e!["path"]!.ToString()));
        Assert.True(listed.Single(e => e!["path"]!.ToString() == "/export")!["readOnly"]!.GetValue<bool>());
        using (var v3 = new Nfs3Client(server.NfsPort))
        {
            Assert.Equal(Nfs3Status.Ok, v3.GetAttr(second).Status);
            Assert.Equal(Nfs3Status.Stale, v3.GetAttr(file).Status);
            Assert.Equal(Nfs3Status.Stale, v3.GetAttr(other).Status);
            Assert.Equal(MountStatus.NoEnt, MountStatusOf(v3, "/other"));
            byte[] export = v3.Mount("/export");
            Assert.Equal(Nfs3Status.RoFs, v3.Create(export, "nope").Status);
        }
        // The offline check walks what the server serves: exports.json's export (its fresh volume), not the removed one.
        server.Stop();
        CliRunner.Result check = CliRunner.Run(["check", "-d", Path.Combine(server.DataDirectory, "data")]);
        Assert.True(check.ExitCode == 0, check.Output + check.Error);
        Assert.StartsWith("checked /added#1, /export: 2 directories, 1 files", check.Output.Trim());
    }

    [Fact]
    public async Task ChangesAreCheckedAsAtStartUpWithOneLineAndTheRightStatus()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:MetadataStore"] = "Memory", ["DittoFs:PayloadStore"] = "Memory" });
        server.Start();
        using HttpClient http = Http(server, bearer: null); // loopback listener without a token: allowed
        var cases = new (HttpMethod Method, string Route, string? Json, HttpStatusCode Status, string Message)[]
        {
            (HttpMethod.Post, "admin/exports", """{"path":"/s","squash":"Bogus"}""", HttpStatusCode.BadRequest, "Export:squash=Bogus: must be one of None, Root, All"),
            (HttpMethod.Post, "admin/exports", """{"path":"/s","allowedClients":["10.0.0.0/33"]}""", HttpStatusCode.BadRequest, "Export:AllowedClients:0=10.0.0.0/33: not a CIDR network"),
            (HttpMethod.Post, "admin/exports", """{"path":"relative"}""", HttpStatusCode.BadRequest, "Export:Path=relative: must start with /"),
            (HttpMethod.Post, "admin/exports", """{"path":"/s","readOnyl":true}""", HttpStatusCode.BadRequest, "unknown setting Export:readOnyl; did you mean Export:ReadOnly?"),
            (HttpMethod.Post, "admin/exports", """{"path":"/s","anonymousUid":-1}""", HttpStatusCode.BadRequest, "Export:anonymousUid=-1: must be a whole number (UInt32)"),
            (HttpMethod.Post, "admin/exports", """["/s"]""", HttpStatusCode.BadRequest, "the body must be a JSON object"),
            (HttpMethod.Post, "admin/exports", """{"path":"/export/"}""", HttpStatusCode.Conflict, "export /export (/export) exists"),
            (HttpMethod.Put, "admin/exports/%2Fnope", """{"readOnly":true}""", HttpStatusCode.NotFound, "no export /nope"),
            (HttpMethod.Put, "admin/exports/%2Fexport", """{"name":"other"}""", HttpStatusCode.BadRequest, "an export keeps its name"),
            (HttpMethod.Delete, "admin/exports/%2Fnope", null, HttpStatusCode.NotFound, "no export /nope"),
        };
        foreach (var c in cases)
        {
            var (status, body) = await SendAsync(http, c.Method, c.Route, c.Json);
            Assert.True(status == c.Status && body.Contains(c.Message, StringComparison.Ordinal) && body.TrimEnd('\n').Split('\n').Length == 1,
                $"{c.Method} {c.Route} {c.Json}: {(int)status} {body}");
        }
        // Nothing of the refused changes was applied.
        Assert.Equal(["/export"], JsonNode.Parse(await http.GetStringAsync("admin/exports"))!.AsArray().Select(e => e!["path"]!.ToString()));
    }

    [Fact]
    public void CliAddUpdateRemoveExitCodesAndOneLineMessages()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:MetadataStore"] = "Memory", ["DittoFs:PayloadStore"] = "Memory" });
        server.Start();
        string at = $"127.0.0.1:{server.HttpPort}";
        CliRunner.Result Run(params string[] args) => CliRunner.Run([.. args, "--server", at]);

        CliRunner.Result added = Run("exports", "add", "/cli", "--read-only", "--squash", "All", "--allowed-client", "127.0.0.0/8", "--name", "cli");
        Assert.True(added.ExitCode == 0, added.Error);
        Assert.Equal("added cli: /cli ro squash All clients 127.0.0.0/8", added.Output.Trim());

        CliRunner.Result bad = Run("exports", "add", "/bad", "--squash", "Bogus");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal("dittofs: exports add refused (400): Export:squash=Bogus: must be one of None, Root, All", bad.Error.Trim());

        CliRunner.Result twice = Run("exports", "add", "/cli");
        Assert.Equal(1, twice.ExitCode);
        Assert.Equal("dittofs: exports add refused (409): export /cli (/cli) exists: update or remove it", twice.Error.Trim());

        CliRunner.Result updated = Run("exports", "update", "cli", "--read-write", "--all-clients");
        Assert.True(updated.ExitCode == 0, updated.Error);
        Assert.Equal("updated cli: /cli rw squash All clients *", updated.Output.Trim());

        CliRunner.Result nothing = Run("exports", "update", "cli");
        Assert.Equal(1, nothing.ExitCode);
        Assert.Equal("dittofs: exports update: nothing to change (see --help)", nothing.Error.Trim());

        CliRunner.Result both = Run("exports", "update", "cli", "--read-only", "--read-write");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("--read-only and --read-write: one or the other", both.Error);

        CliRunner.Result list = Run("exports", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("/cli                     rw     All    * (name cli)", list.Output);

        CliRunner.Result removed = Run("exports", "remove", "/cli");
        Assert.True(removed.ExitCode == 0, removed.Error);
        Assert.Equal("removed cli: /cli rw squash All clients *", removed.Output.Trim());
        CliRunner.Result again = Run("exports", "remove", "cli");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("dittofs: exports remove refused (404): no export cli", again.Error.Trim());
    }
}
