using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// The real server as a child process on free loopback ports, with its own
/// data directory; it can be killed with SIGKILL and started again on the same
/// data to test what survives.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private Process? _process;
    private readonly StringBuilder _log = new();
    private readonly Dictionary<string, string> _settings;

    public ServerProcess(string? dataDirectory = null, IDictionary<string, string>? settings = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "dittofs-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(DataDirectory);
        int[] ports = FreePorts(3);
        (NfsPort, MountPort, HttpPort) = (ports[0], ports[1], ports[2]);
        _settings = new Dictionary<string, string>
        {
            ["DittoFs:ListenAddress"] = "127.0.0.1",
            ["DittoFs:NfsPort"] = NfsPort.ToString(),
            ["DittoFs:MountPort"] = MountPort.ToString(),
            ["DittoFs:HttpPort"] = HttpPort.ToString(),
            ["DittoFs:DataDirectory"] = Path.Combine(DataDirectory, "data"),
            ["DittoFs:Exports:0:Path"] = "/export",
            ["DittoFs:Exports:0:Squash"] = "None",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (settings is not null)
        {
            foreach (var (k, v) in settings) _settings[k] = v;
        }
    }

    public string DataDirectory { get; }
    public int NfsPort { get; }
    public int MountPort { get; }
    public int HttpPort { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The log once it contains <paramref name="text"/> (lines arrive asynchronously: the console logger's queue, the pipe), or as it is after <paramref name="timeout"/>.</summary>
    public string WaitForLog(string text, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        string log;
        while (!(log = Log).Contains(text, StringComparison.Ordinal) && watch.Elapsed < timeout) Thread.Sleep(50);
        return log;
    }
    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>The running server's process id (the dotnet host runs the server in-process).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>A field of /proc/&lt;pid&gt;/status in bytes, e.g. "VmHWM" (peak RSS) or "VmRSS".</summary>
    public long ProcStatusBytes(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            string[] parts = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024; // kB
        }
        throw new InvalidOperationException($"{field} not in /proc/{Pid}/status");
    }

    /// <summary>Extra environment variables for the server process (e.g. DITTOFS_TEST_RECOVERY_DELAY_MS).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>
    /// Starts the server and waits until its NFS port accepts and, unless waitUntilRecovered is false,
    /// until /readyz no longer says "recovering" (the listeners are up before storage recovers).
    /// </summary>
    public void Start() => Start(waitUntilRecovered: true);

    /// <inheritdoc cref="Start()"/>
    public void Start(bool waitUntilRecovered)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "DittoFs.Server.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = DataDirectory, // no appsettings.json here: every setting comes from the command line
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var (k, v) in _settings) psi.ArgumentList.Add($"--{k}={v}");
        psi.Environment["DOTNET_gcServer"] = "0"; // tests run many servers on 2 cores
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the server");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Ready first, then the NFS port: a probe connection made during recovery would wait unserved.
        if (waitUntilRecovered) WaitUntilRecovered(TimeSpan.FromSeconds(90));
        WaitForPort(NfsPort, TimeSpan.FromSeconds(90));
        // Kestrel binds its endpoints one after another: the NFS port can accept before the HTTP one.
        if (!waitUntilRecovered && _settings.TryGetValue("DittoFs:HttpPort", out string? http) && http != "0") WaitForPort(int.Parse(http), TimeSpan.FromSeconds(90));
    }

    private void WaitUntilRecovered(TimeSpan timeout)
    {
        if (!_settings.TryGetValue("DittoFs:HttpPort", out string? http) || http == "0") return;
        using var client = new System.Net.Http.HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process!.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"server exited ({_process.ExitCode}):\n{Log}");
            }
            try
            {
                using System.Net.Http.HttpResponseMessage ready = client.GetAsync($"http://127.0.0.1:{http}/readyz").GetAwaiter().GetResult();
                string body = ready.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (!body.StartsWith("recovering", StringComparison.Ordinal)) return;
            }
            catch (System.Net.Http.HttpRequestException)
            {
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"server still recovering after {timeout.TotalSeconds} s:\n{Log}");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>Ctrl-C-like stop (SIGTERM) and wait.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            if (!_process.WaitForExit(30000)) Kill();
        }
    }

    /// <summary>SIGTERM and a bounded wait: whether it exited within <paramref name="wait"/>, how long it took, its exit code.</summary>
    public (bool Exited, TimeSpan Elapsed, int ExitCode) Terminate(TimeSpan wait)
    {
        Process process = _process ?? throw new InvalidOperationException("not started");
        var watch = Stopwatch.StartNew();
        Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
        bool exited = process.WaitForExit(wait);
        TimeSpan elapsed = watch.Elapsed;
        if (!exited) return (false, elapsed, -1);
        process.WaitForExit(); // drains the redirected output
        return (true, elapsed, process.ExitCode);
    }

    private void WaitForPort(int port, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process!.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output, so Log holds its last words
                throw new InvalidOperationException($"server exited ({_process.ExitCode}):\n{Log}");
            }
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new TimeoutException($"server did not listen on {port}:\n{Log}");
    }

    public static int FreePort() => FreePorts(1)[0];

    /// <summary>Ports free now, all different: each stays bound until the last is chosen (one at a time, the kernel
    /// may hand out a port just released again: HttpPort once equalled MountPort).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(l);
                l.Start();
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener l in listeners) l.Stop();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
