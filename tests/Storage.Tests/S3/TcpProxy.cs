using System.Net;
using System.Net.Sockets;

namespace DittoFs.Storage.Tests.S3;

/// <summary>
/// A loopback TCP proxy in front of a server, to simulate the server becoming unreachable
/// without losing its state: <see cref="Cut"/> resets every open connection and every new one
/// until <see cref="Restore"/>.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<(Socket A, Socket B)> _pairs = [];
    private volatile bool _cut;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public bool IsCut => _cut;

    /// <summary>Connections made while cut (refused at once).</summary>
    public int RefusedConnections;

    public void Cut()
    {
        _cut = true;
        lock (_lock)
        {
            foreach (var (a, b) in _pairs)
            {
                Reset(a);
                Reset(b);
            }
            _pairs.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (_cut)
            {
                Interlocked.Increment(ref RefusedConnections);
                Reset(client);
                continue;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort);
        }
        catch (SocketException)
        {
            Reset(client);
            server.Dispose();
            return;
        }
        lock (_lock) _pairs.Add((client, server));
        await Task.WhenAll(Pump(client, server), Pump(server, client));
        lock (_lock) _pairs.Remove((client, server));
        client.Dispose();
        server.Dispose();
    }

    private static async Task Pump(Socket from, Socket to)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                int sent = 0;
                while (sent < n) sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private static void Reset(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0); // close with RST
            s.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
    }
}
