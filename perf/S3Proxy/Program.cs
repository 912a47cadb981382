using System.Globalization;
using DittoFs.Storage.Tests.S3;

// dotnet DittoFs.S3Proxy.dll --target-port MOTO_PORT --port LISTEN_PORT [--latency-ms 30]
// Every request is forwarded to 127.0.0.1:MOTO_PORT and answered after the latency (a WAN-like S3).
// Runs until SIGTERM / Ctrl+C.
int target = 0, port = 0;
double latencyMs = double.Parse(Environment.GetEnvironmentVariable("S3_LATENCY_MS") ?? "30", CultureInfo.InvariantCulture);
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--target-port": target = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--port": port = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--latency-ms": latencyMs = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (target == 0)
{
    Console.Error.WriteLine("usage: DittoFs.S3Proxy --target-port N [--port N] [--latency-ms 30]");
    return 2;
}
using var proxy = new FaultProxy(target, port) { Delay = TimeSpan.FromMilliseconds(latencyMs) };
if (latencyMs > 0) proxy.Inject(S3Fault.Slow);
Console.WriteLine($"S3 proxy on {proxy.Endpoint} -> 127.0.0.1:{target}, +{latencyMs} ms per request");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
Console.WriteLine($"{proxy.Requests} requests forwarded");
return 0;
