using System.Diagnostics;
using System.Net.Http;
using System.Text.RegularExpressions;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// The Dockerfile without a Docker engine: runs its <c>dotnet publish</c> command (output to a temporary
/// directory instead of /app/publish), starts the published <c>dittofs</c> with its ENTRYPOINT, CMD and
/// ENV (only the data directory and ports moved to free ones), and runs its HEALTHCHECK command.
/// </summary>
public sealed partial class DockerfileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dittofs-docker-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed record Parsed(string[] Publish, string PublishOutput, Dictionary<string, string> Env, string[] Entrypoint, string[] Cmd, string[] Healthcheck, string[] Expose, string Volume, string User);

    private static Parsed Parse(string text)
    {
        // Join continuation lines, drop comments.
        string joined = string.Join('\n', text.Replace("\\\n", " ").Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        string[] lines = joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        string publishLine = lines.Single(l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal))["RUN ".Length..];
        string[] publish = publishLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int o = Array.IndexOf(publish, "-o");
        var env = new Dictionary<string, string>();
        foreach (string line in lines.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (Match m in EnvPair().Matches(line[4..])) env[m.Groups[1].Value] = m.Groups[2].Value;
        }
        string[] Exec(string prefix) => JsonArray().Matches(lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal))).Select(m => m.Groups[1].Value).ToArray();
        string health = lines.Single(l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal));
        string[] healthcheck = JsonArray().Matches(health[health.IndexOf("CMD", StringComparison.Ordinal)..]).Select(m => m.Groups[1].Value).ToArray();
        return new Parsed(publish, publish[o + 1], env, Exec("ENTRYPOINT"), Exec("CMD"), healthcheck,
            lines.Single(l => l.StartsWith("EXPOSE", StringComparison.Ordinal)).Split(' ')[1..],
            lines.Single(l => l.StartsWith("VOLUME", StringComparison.Ordinal)).Split(' ')[1],
            lines.Last(l => l.StartsWith("USER", StringComparison.Ordinal)).Split(' ')[1]);
    }

    [Fact]
    public async Task PublishedOutputRunsWithTheContainersEnvironment()
    {
        string root = Dashboard.RepositoryRoot;
        Parsed docker = Parse(File.ReadAllText(Path.Combine(root, "Dockerfile")));

        // The image's contract, checked statically.
        Assert.Equal("$APP_UID", docker.User); // the runtime image's non-root user
        Assert.Equal(docker.Env["DittoFs__DataDirectory"], docker.Volume);
        Assert.Equal(
            new[] { docker.Env["DittoFs__NfsPort"], docker.Env["DittoFs__MountPort"], docker.Env["DittoFs__HttpPort"] }.Order(),
            docker.Expose.Order());
        Assert.Equal(["dittofs"], docker.Entrypoint);
        Assert.Equal(["serve"], docker.Cmd);
        Assert.Equal("dittofs", docker.Healthcheck[0]);

        // The same publish command, from the repository root (the build stage's WORKDIR after COPY . .).
        string output = Path.Combine(_directory, "publish");
        string[] publish = docker.Publish.Select(a => a == docker.PublishOutput ? output : a).ToArray();
        var psi = new ProcessStartInfo(publish[0]) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in publish[1..]) psi.ArgumentList.Add(a);
        using (Process build = Process.Start(psi)!)
        {
            Task<string> stdout = build.StandardOutput.ReadToEndAsync();
            Task<string> stderr = build.StandardError.ReadToEndAsync();
            Assert.True(build.WaitForExit(TimeSpan.FromMinutes(5)), "publish timed out");
            Assert.True(build.ExitCode == 0, await stdout + await stderr);
        }
        // ENTRYPOINT `dittofs` is a link to the published app host.
        string dittofs = Path.Combine(output, "DittoFs.Server");
        Assert.True(File.Exists(dittofs), "no app host in the publish output");

        int nfs = ServerProcess.FreePort(), mount = ServerProcess.FreePort(), http = ServerProcess.FreePort();
        var env = new Dictionary<string, string>(docker.Env)
        {
            ["DittoFs__DataDirectory"] = Path.Combine(_directory, "data"),
            ["DittoFs__NfsPort"] = nfs.ToString(),
            ["DittoFs__MountPort"] = mount.ToString(),
            ["DittoFs__HttpPort"] = http.ToString(),
        };
        var run = new ProcessStartInfo(dittofs) { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in docker.Cmd) run.ArgumentList.Add(a);
        foreach (var (k, v) in env) run.Environment[k] = v;
        using Process server = Process.Start(run)!;
        var log = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/"), Timeout = TimeSpan.FromSeconds(5) };
            var watch = Stopwatch.StartNew();
            HttpResponseMessage? ready = null;
            while (watch.Elapsed < TimeSpan.FromSeconds(60) && !server.HasExited)
            {
                try
                {
                    ready = await client.GetAsync("readyz");
                    if (ready.IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) { }
                await Task.Delay(200);
            }
            Assert.True(ready?.IsSuccessStatusCode == true, "not ready:\n" + log);
            Assert.Equal("ok", await client.GetStringAsync("healthz"));
            Assert.Contains("dittofs_rpc_connections", await client.GetStringAsync("metrics"));

            // The HEALTHCHECK command, with `dittofs` = the app host and the container's environment.
            CliRunner.Result health = CliRunner.Run(docker.Healthcheck[1..], env, executable: dittofs);
            Assert.True(health.ExitCode == 0, health.Output + health.Error);

            // Logs are JSON lines (Logging__Console__FormatterName=json).
            string first;
            lock (log) first = log.ToString().Split('\n').First(l => l.Trim().Length > 0);
            Assert.StartsWith("{", first.Trim());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }
        CliRunner.Result down = CliRunner.Run(docker.Healthcheck[1..], env, executable: dittofs);
        Assert.Equal(1, down.ExitCode);
    }

    [GeneratedRegex(@"(\w+)=(\S*)")]
    private static partial Regex EnvPair();

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex JsonArray();
}
