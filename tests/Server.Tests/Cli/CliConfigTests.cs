using System.Net;
using System.Net.Sockets;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Cli;

/// <summary>
/// Issue 16, "Found": configuration and command-line mistakes are one line naming the key and the
/// value, exit code 1, no stack trace, and nothing starts.
/// </summary>
public sealed class CliConfigTests
{
    private static readonly TimeSpan s_quick = TimeSpan.FromSeconds(60); // a server that started instead would hit this

    private static void AssertOneLineError(CliRunner.Result result, string line)
    {
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}\n{result.Output}\n{result.Error}");
        Assert.Contains(line, result.Error.Split('\n').Select(l => l.TrimEnd('\r')));
        Assert.DoesNotContain("   at ", result.Error + result.Output); // no stack trace
        Assert.DoesNotContain("Exception", result.Error + result.Output);
    }

    [Fact]
    public void AMistypedVerbIsAnErrorWithASuggestionNotAServer()
    {
        CliRunner.Result result = CliRunner.Run(["staus"], timeout: s_quick);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown verb 'staus'; did you mean 'status'?", result.Error + result.Output);
    }

    [Fact]
    public void AMistypedVerbPrintsTheErrorAndAHintNotTheWholeHelp()
    {
        CliRunner.Result result = CliRunner.Run(["staus"], timeout: s_quick);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["dittofs: unknown verb 'staus'; did you mean 'status'?", "Run 'dittofs --help' for usage."],
            result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("Usage:", result.Output + result.Error);
        // A bad option of a verb: the hint names the verb's help.
        CliRunner.Result verb = CliRunner.Run(["status", "--bogus"], timeout: s_quick);
        Assert.Equal(1, verb.ExitCode);
        Assert.Contains("Run 'dittofs status --help' for usage.", verb.Error);
        Assert.DoesNotContain("Usage:", verb.Output + verb.Error);
    }

    [Fact]
    public void HelpAfterSettingsPrintsHelpAndDoesNotStart()
    {
        CliRunner.Result result = CliRunner.Run(["--DittoFs:X=1", "--help"], timeout: s_quick);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Output);
        Assert.Contains("config", result.Output);
    }

    [Fact]
    public void StatusTakesHostAndPortWithoutAScheme()
    {
        int port = ServerProcess.FreePort(); // nobody listens
        CliRunner.Result result = CliRunner.Run(["status", "--server", $"127.0.0.1:{port}"], timeout: s_quick);
        AssertOneLineError(result, $"dittofs: cannot reach http://127.0.0.1:{port}/: Connection refused (127.0.0.1:{port})");
        AssertOneLineError(CliRunner.Run(["status", "--server", "http://[::1"], timeout: s_quick),
            "dittofs: --server http://[::1: not an HTTP address (e.g. 127.0.0.1:9464 or http://host:9464)");
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { "--DittoFs:NfsPort=70000", "DittoFs:NfsPort=70000: must be 1-65535" },
        { "--DittoFs:NfsPort=abc", "DittoFs:NfsPort=abc: must be a whole number (Int32)" },
        { "--DittoFs:Exports:0:Squash=Bogus", "DittoFs:Exports:0:Squash=Bogus: must be one of None, Root, All" },
        { "--DittoFs:Nfs4:LeaseSeconds=1", "DittoFs:Nfs4:LeaseSeconds=1: must be 5-3600" },
        { "--DittoFs:Cache:BlockSize=-5", "DittoFs:Cache:BlockSize=-5: must be 65536-67108864" },
        { "--DittoFs:Cache:BlockSize=100000", "DittoFs:Cache:BlockSize=100000: must be a power of two" },
        { "--DittoFs:Exports:0:AllowedClients:0=10.0.0.0/33", "DittoFs:Exports:0:AllowedClients:0=10.0.0.0/33: not a CIDR network (e.g. 10.0.0.0/8, 192.0.2.7/32)" },
        { "--DittoFs:PayloadStore=S3", "DittoFs:S3:Bucket=: required with PayloadStore=S3" },
        { "--DittoFs:PayloadStore=Tape", "DittoFs:PayloadStore=Tape: must be one of Local, S3, Memory" },
        { "--DittoFs:ListenAddress=localhostt", "DittoFs:ListenAddress=localhostt: not an IP address (0.0.0.0 for every interface)" },
        { "--DittoFs:Nfs4:MaxSlotsPerSession=many", "DittoFs:Nfs4:MaxSlotsPerSession=many: must be a whole number (Int32)" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void ConfigCheckRefusesABadSettingInOneLine(string setting, string message)
    {
        AssertOneLineError(CliRunner.Run(["config", "check", setting], timeout: s_quick), "dittofs: invalid configuration: " + message);
    }

    [Theory]
    [InlineData("--DittoFs:NfsPort=70000", "DittoFs:NfsPort=70000: must be 1-65535")]
    [InlineData("--DittoFs:Exports:0:Squash=Bogus", "DittoFs:Exports:0:Squash=Bogus: must be one of None, Root, All")]
    public void TheServerRefusesABadSettingInOneLine(string setting, string message)
    {
        using var data = new TempDirectory();
        AssertOneLineError(CliRunner.Run(["--DittoFs:HttpPort=0", "--DittoFs:MountPort=0", $"--DittoFs:DataDirectory={data.Path}", setting], timeout: s_quick),
            "dittofs: invalid configuration: " + message);
        AssertOneLineError(CliRunner.Run(["serve", "--DittoFs:HttpPort=0", "--DittoFs:MountPort=0", $"--DittoFs:DataDirectory={data.Path}", setting], timeout: s_quick),
            "dittofs: invalid configuration: " + message);
    }

    [Fact]
    public void AnUnknownKeyIsWarnedWithTheNearestName()
    {
        CliRunner.Result result = CliRunner.Run(["config", "check", "--DittoFs:NfsProt=1"], timeout: s_quick);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("dittofs: warning: unknown setting DittoFs:NfsProt (ignored); did you mean DittoFs:NfsPort?", result.Error);
        Assert.Contains("configuration valid", result.Output);
    }

    [Fact]
    public void AnUnwritableDataDirectoryIsOneLine()
    {
        using var data = new TempDirectory();
        string file = Path.Combine(data.Path, "a-file");
        File.WriteAllText(file, "not a directory");
        CliRunner.Result result = CliRunner.Run(["--DittoFs:HttpPort=0", "--DittoFs:MountPort=0", $"--DittoFs:NfsPort={ServerProcess.FreePort()}", $"--DittoFs:DataDirectory={file}/data"], timeout: s_quick);
        Assert.True(result.ExitCode == 1, result.Error);
        Assert.StartsWith($"dittofs: invalid configuration: DittoFs:DataDirectory={file}/data: not writable (", result.Error.Trim());
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void APortInUseIsOneLine()
    {
        using var data = new TempDirectory();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;
        CliRunner.Result result = CliRunner.Run(["--DittoFs:ListenAddress=127.0.0.1", $"--DittoFs:NfsPort={port}", "--DittoFs:HttpPort=0", "--DittoFs:MountPort=0", $"--DittoFs:DataDirectory={data.Path}"], timeout: s_quick);
        Assert.True(result.ExitCode == 1, result.Error);
        Assert.StartsWith($"dittofs: invalid configuration: DittoFs:NfsPort={port}: cannot listen on 127.0.0.1:{port} (", result.Error.Trim());
        Assert.DoesNotContain("   at ", result.Error + result.Output);
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("dittofs-cli-").FullName;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
