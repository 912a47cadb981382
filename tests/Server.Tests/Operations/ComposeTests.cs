using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// The shipped defaults without a Docker engine: docker-compose.yml read as compose reads it (YAML, then
/// ${VAR:-default} / ${VAR:?error} interpolation with the variables unset) publishes nothing on every address,
/// publishes Prometheus not at all and gives Grafana no default password; the shipped appsettings squash root.
/// </summary>
public sealed partial class ComposeTests
{
    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Dashboard.RepositoryRoot, "docker-compose.yml"))));
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    private sealed class UnsetVariableException(string message) : Exception(message);

    /// <summary>Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$.</summary>
    private static string Interpolate(string value, IReadOnlyDictionary<string, string> environment) =>
        Variable().Replace(value, m =>
        {
            if (m.Value == "$$") return "$";
            string name = m.Groups["name"].Value, op = m.Groups["op"].Value, arg = m.Groups["arg"].Value;
            bool set = environment.TryGetValue(name, out string? v);
            bool empty = !set || v!.Length == 0;
            return op switch
            {
                ":-" => empty ? arg : v!,
                "-" => set ? v! : arg,
                ":?" when empty => throw new UnsetVariableException($"{name}: {arg}"),
                "?" when !set => throw new UnsetVariableException($"{name}: {arg}"),
                _ => v ?? "",
            };
        });

    [GeneratedRegex(@"\$\$|\$\{(?<name>\w+)(?:(?<op>:-|-|:\?|\?)(?<arg>[^}]*))?\}")]
    private static partial Regex Variable();

    /// <summary>Every published port of every service: (service, host address or null for every address, spec).</summary>
    private static List<(string Service, string? Address, string Spec)> PublishedPorts(IReadOnlyDictionary<string, string> environment)
    {
        var published = new List<(string, string?, string)>();
        foreach (var (name, node) in Services().Children)
        {
            var service = (YamlMappingNode)node;
            if (!service.Children.TryGetValue(new YamlScalarNode("ports"), out YamlNode? ports)) continue;
            foreach (YamlNode port in (YamlSequenceNode)ports)
            {
                if (port is YamlMappingNode longSyntax)
                {
                    // target/published/host_ip: no host_ip = every address.
                    string? hostIp = longSyntax.Children.TryGetValue(new YamlScalarNode("host_ip"), out YamlNode? ip) ? Interpolate(((YamlScalarNode)ip).Value!, environment) : null;
                    published.Add((name.ToString(), string.IsNullOrEmpty(hostIp) ? null : hostIp, longSyntax.ToString()));
                    continue;
                }
                string spec = Interpolate(((YamlScalarNode)port).Value!, environment);
                // [ip:]host:container[/proto]; an IPv6 address in brackets.
                string? address = spec.StartsWith('[') ? spec[1..spec.IndexOf(']')] : spec.Split(':').Length == 3 ? spec.Split(':')[0] : null;
                published.Add((name.ToString(), string.IsNullOrEmpty(address) ? null : address, spec));
            }
        }
        return published;
    }

    private static readonly Dictionary<string, string> Unset = [];

    [Fact]
    public void NoPortIsPublishedOnEveryAddressByDefault()
    {
        var ports = PublishedPorts(Unset);
        Assert.NotEmpty(ports);
        foreach (var (service, address, spec) in ports)
        {
            Assert.True(address is not null, $"{service} publishes {spec} on every address");
            Assert.True(IPAddress.TryParse(address, out IPAddress? ip) && IPAddress.IsLoopback(ip), $"{service} publishes {spec} on {address}, not loopback");
        }
        // NFS, MOUNT, HTTP and Grafana are there (on loopback); Prometheus is not published at all.
        Assert.Equal(["dittofs:20048:20048", "dittofs:2049:2049", "dittofs:9464:9464", "grafana:3000:3000"],
            ports.Select(p => $"{p.Service}:{p.Spec[(p.Spec.IndexOf(':') + 1)..]}").Order(StringComparer.Ordinal));
        Assert.DoesNotContain(ports, p => p.Service == "prometheus");
    }

    [Fact]
    public void TheBindAddressIsOneDeliberateSetting()
    {
        var ports = PublishedPorts(new Dictionary<string, string> { ["DITTOFS_BIND"] = "10.0.0.5" });
        Assert.All(ports, p => Assert.Equal("10.0.0.5", p.Address));
    }

    [Fact]
    public void GrafanaHasNoDefaultPassword()
    {
        var grafana = (YamlMappingNode)Services()["grafana"];
        var environment = (YamlMappingNode)grafana["environment"];
        string password = ((YamlScalarNode)environment["GF_SECURITY_ADMIN_PASSWORD"]).Value!;
        // Unset: compose refuses to start, with a message.
        var refused = Assert.Throws<UnsetVariableException>(() => Interpolate(password, Unset));
        Assert.Contains("GF_SECURITY_ADMIN_PASSWORD", refused.Message);
        // Empty counts as unset (the :? form), so "" is no default either.
        Assert.Throws<UnsetVariableException>(() => Interpolate(password, new Dictionary<string, string> { ["GF_SECURITY_ADMIN_PASSWORD"] = "" }));
        Assert.Equal("chosen", Interpolate(password, new Dictionary<string, string> { ["GF_SECURITY_ADMIN_PASSWORD"] = "chosen" }));
        Assert.False(environment.Children.ContainsKey(new YamlScalarNode("GF_SECURITY_ADMIN_PASSWORD__FILE")));
    }

    [Fact]
    public void ComposeSquashesRootAndPassesTheAdminToken()
    {
        var dittofs = (YamlMappingNode)Services()["dittofs"];
        var environment = (YamlMappingNode)dittofs["environment"];
        Assert.True(!environment.Children.TryGetValue(new YamlScalarNode("DittoFs__Exports__0__Squash"), out YamlNode? squash) || ((YamlScalarNode)squash).Value != "None",
            "docker-compose.yml sets Squash: None");
        string token = ((YamlScalarNode)environment["DittoFs__Admin__Token"]).Value!;
        Assert.Equal("", Interpolate(token, Unset));
        Assert.Equal("abc", Interpolate(token, new Dictionary<string, string> { ["DITTOFS_ADMIN_TOKEN"] = "abc" }));
    }

    [Theory]
    [InlineData("src/Server/appsettings.json")]
    [InlineData(null)] // the copy next to the built server, which ServerProcess and the published image load
    public void ShippedAppSettingsSquashRoot(string? relative)
    {
        string path = relative is null ? Path.Combine(AppContext.BaseDirectory, "appsettings.json") : Path.Combine(Dashboard.RepositoryRoot, relative);
        JsonNode settings = JsonNode.Parse(File.ReadAllText(path))!;
        JsonArray exports = settings["DittoFs"]!["Exports"]!.AsArray();
        Assert.NotEmpty(exports);
        Assert.All(exports, e => Assert.Equal("Root", e!["Squash"]!.ToString()));
        // No token shipped: a token must be chosen, never a default everyone knows.
        Assert.True(string.IsNullOrEmpty(settings["DittoFs"]!["Admin"]?["Token"]?.ToString()));
    }
}
