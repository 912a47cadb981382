using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace DittoFs.Storage.Tests.S3;

/// <summary>What <see cref="FaultProxy"/> does to a request it picks.</summary>
public enum S3Fault
{
    /// <summary>Forward everything.</summary>
    None,
    /// <summary>500 InternalError with an S3 XML error body.</summary>
    InternalError,
    /// <summary>503 SlowDown with an S3 XML error body.</summary>
    SlowDown,
    /// <summary>Forward, but answer only after <see cref="FaultProxy.Delay"/>.</summary>
    Slow,
}

/// <summary>
/// An HTTP/1.1 forwarder in front of an S3-compatible server (moto) that injects S3 faults: for a
/// settable fraction of requests (or all) it answers 500 InternalError or 503 SlowDown with the XML
/// error body S3 sends, or forwards the request but delays the answer. Requests are read whole first,
/// so connections stay in step whatever the fault.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _forward;
    private readonly string _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new(1234);
    private readonly Lock _lock = new();
    private volatile S3Fault _fault;
    private double _fraction = 1;

    /// <param name="listenPort">0: a free port (tests); else that port (perf/S3Proxy).</param>
    public FaultProxy(int targetPort, int listenPort = 0)
    {
        _target = $"http://127.0.0.1:{targetPort}";
        _forward = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        })
        { Timeout = TimeSpan.FromMinutes(2) };
        // HttpListener wants a fixed port: retry on the rare collision.
        for (int attempt = 0; ; attempt++)
        {
            Port = listenPort != 0 ? listenPort : FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>How long <see cref="S3Fault.Slow"/> holds an answer.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests seen, and of them answered with an injected error or delayed.</summary>
    public int Requests => Volatile.Read(ref _requests);
    public int Faulted => Volatile.Read(ref _faulted);
    private int _requests;
    private int _faulted;

    /// <summary>Injects <paramref name="fault"/> into <paramref name="fraction"/> of the requests from now on (1 = all).</summary>
    public void Inject(S3Fault fault, double fraction = 1)
    {
        lock (_lock) _fraction = fraction;
        _fault = fault;
    }

    /// <summary>Forwards everything again.</summary>
    public void Heal() => _fault = S3Fault.None;

    private bool Pick()
    {
        lock (_lock) return _fraction >= 1 || _random.NextDouble() < _fraction;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        try
        {
            Interlocked.Increment(ref _requests);
            var body = new MemoryStream();
            if (request.HasEntityBody) await request.InputStream.CopyToAsync(body);

            S3Fault fault = _fault;
            if (fault != S3Fault.None && Pick())
            {
                Interlocked.Increment(ref _faulted);
                if (fault is S3Fault.InternalError or S3Fault.SlowDown)
                {
                    await ErrorAsync(response, request, fault);
                    return;
                }
                await Task.Delay(Delay, _stop.Token);
            }
            await ForwardAsync(request, body.ToArray(), response);
        }
        catch (Exception)
        {
            // The client went away (a timeout), or we are stopping: drop the connection.
            try { response.Abort(); } catch (Exception) { }
        }
    }

    private static async Task ErrorAsync(HttpListenerResponse response, HttpListenerRequest request, S3Fault fault)
    {
        (int status, string code, string message) = fault == S3Fault.SlowDown
            ? (503, "SlowDown", "Please reduce your request rate.")
            : (500, "InternalError", "We encountered an internal error. Please try again.");
        byte[] xml = Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>" +
            $"<Resource>{WebUtility.HtmlEncode(request.Url?.AbsolutePath)}</Resource><RequestId>FAULT{Environment.TickCount64:X}</RequestId></Error>");
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.Headers["x-amz-request-id"] = "FAULT";
        if (request.HttpMethod == "HEAD")
        {
            response.Close();
            return;
        }
        response.ContentLength64 = xml.Length;
        await response.OutputStream.WriteAsync(xml);
        response.Close();
    }

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect", "Proxy-Connection", "TE", "Upgrade",
    };

    private async Task ForwardAsync(HttpListenerRequest request, byte[] body, HttpListenerResponse response)
    {
        using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), _target + request.RawUrl);
        if (body.Length > 0 || request.HasEntityBody) forward.Content = new ByteArrayContent(body);
        foreach (string? name in request.Headers.AllKeys)
        {
            if (name is null || HopByHop.Contains(name)) continue;
            string[] values = request.Headers.GetValues(name) ?? [];
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                forward.Content ??= new ByteArrayContent([]);
                forward.Content.Headers.TryAddWithoutValidation(name, values);
            }
            else
            {
                forward.Headers.TryAddWithoutValidation(name, values);
            }
        }
        forward.Headers.Host = request.Headers["Host"]; // as signed

        using HttpResponseMessage answer = await _forward.SendAsync(forward, HttpCompletionOption.ResponseContentRead, _stop.Token);
        byte[] content = await answer.Content.ReadAsByteArrayAsync();
        response.StatusCode = (int)answer.StatusCode;
        foreach (KeyValuePair<string, IEnumerable<string>> h in answer.Headers.Concat(answer.Content.Headers))
        {
            if (HopByHop.Contains(h.Key)) continue;
            foreach (string v in h.Value) response.AddHeader(h.Key, v);
        }
        if (request.HttpMethod == "HEAD")
        {
            if (answer.Content.Headers.ContentLength is { } length) response.ContentLength64 = length;
            response.Close();
            return;
        }
        response.ContentLength64 = content.Length;
        await response.OutputStream.WriteAsync(content);
        response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); } catch (ObjectDisposedException) { }
        _listener.Close();
        _forward.Dispose();
    }
}
