using System.Net;
using DittoFs.Server.Tests.Infrastructure;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// Hostile clients for the load test, each kind from its own loopback address: non-readers doing
/// 1 MiB READs (reconnecting whenever the server closes them), holders of a 1 MiB record minus one
/// byte (again and again), and a connection flood that keeps what it is given.
/// </summary>
internal sealed class HostileSwarm : IDisposable
{
    public static readonly IPAddress AttackAddress = IPAddress.Parse("127.0.0.2");
    public static readonly IPAddress FloodAddress = IPAddress.Parse("127.0.0.3");
    private const int MiB = 1024 * 1024;

    private readonly List<Thread> _threads = [];
    private readonly List<RpcClient> _flood = [];
    private volatile bool _stop;
    private long _nonReadersClosed, _halfRecordsClosed, _floodAdmitted, _floodRefused;

    public HostileSwarm(int port, byte[] mibFile, int nonReaders, int halfRecords, int floodAttempts)
    {
        for (int i = 0; i < nonReaders; i++) Run($"non-reader-{i}", () =>
        {
            using var deaf = new NonReader(port, mibFile, MiB, AttackAddress);
            while (!_stop && deaf.ClosedAtMs == 0) Thread.Sleep(50);
            if (deaf.ClosedAtMs > 0) Interlocked.Increment(ref _nonReadersClosed);
        });
        for (int i = 0; i < halfRecords; i++) Run($"half-record-{i}", () =>
        {
            using var holder = new RpcClient(port, AttackAddress);
            holder.SendRaw(HostileRecords.PartialRecord(MiB, MiB - 1));
            while (!_stop)
            {
                if (holder.IsClosedByServer(1000)) { Interlocked.Increment(ref _halfRecordsClosed); return; }
            }
        }, catchTimeouts: true);
        var flood = new Thread(() =>
        {
            // All connections first (the kernel accepts them; the server then admits or closes each),
            // then a NULL call on every one, then the answers: one round trip for the whole flood.
            var calls = new List<(RpcClient Client, bool Sent)>();
            for (int i = 0; i < floodAttempts && !_stop; i++)
            {
                var c = new RpcClient(port, FloodAddress);
                c.Stream.ReadTimeout = 10_000;
                lock (_flood) _flood.Add(c);
                calls.Add((c, false));
            }
            byte[] nullCall = calls.Count > 0 ? calls[0].Client.BuildCall(1, Nfs3Client.NfsProgram, 3, 0, null) : [];
            for (int i = 0; i < calls.Count; i++)
            {
                try
                {
                    calls[i].Client.SendRecord(nullCall);
                    calls[i] = (calls[i].Client, true);
                }
                catch (IOException)
                {
                }
            }
            foreach ((RpcClient c, bool sent) in calls)
            {
                try
                {
                    if (sent && RpcReply.Parse(c.ReceiveRecord()).Accepted) Interlocked.Increment(ref _floodAdmitted);
                    else Interlocked.Increment(ref _floodRefused);
                }
                catch (IOException)
                {
                    Interlocked.Increment(ref _floodRefused);
                }
            }
        }) { IsBackground = true, Name = "flood" };
        flood.Start();
        _threads.Add(flood);
    }

    /// <summary>Runs <paramref name="round"/> again and again until stopped.</summary>
    private void Run(string name, Action round, bool catchTimeouts = false)
    {
        var t = new Thread(() =>
        {
            while (!_stop)
            {
                try
                {
                    round();
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    Thread.Sleep(50); // refused or reset: try again
                }
            }
        }, 256 * 1024) { IsBackground = true, Name = name };
        t.Start();
        _threads.Add(t);
    }

    public long NonReadersClosed => Interlocked.Read(ref _nonReadersClosed);
    public long HalfRecordsClosed => Interlocked.Read(ref _halfRecordsClosed);
    public long FloodAdmitted => Interlocked.Read(ref _floodAdmitted);
    public long FloodRefused => Interlocked.Read(ref _floodRefused);

    public void Dispose()
    {
        _stop = true;
        foreach (Thread t in _threads) t.Join(TimeSpan.FromSeconds(15));
        lock (_flood) _flood.ForEach(c => c.Dispose());
    }
}
