using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace DittoFs.LoadGen;

/// <summary>One worker thread: its own connection (client), buffers, latencies and counters.</summary>
internal sealed class Worker(int id, NfsClient client, int bufferSize)
{
    public readonly int Id = id;
    public readonly NfsClient Client = client;
    public readonly byte[] WriteBuf = GC.AllocateUninitializedArray<byte>(bufferSize, pinned: true);
    public readonly byte[] ReadBuf = GC.AllocateUninitializedArray<byte>(bufferSize, pinned: true);
    public LatencyRecorder Latencies = new();
    /// <summary>Measured latencies per step of metadata / small-files (create, stat, ...).</summary>
    public LatencyRecorder[] Steps = [new(), new(), new(), new()];
    /// <summary>Latencies of the warm-up ops: used only when the workload ended before the warm-up did.</summary>
    public LatencyRecorder WarmupLatencies = new();
    public long Ops, WarmupOps, Bytes, WarmupBytes, Errors, VerifyFailures, ConsecutiveErrors, RetriesAtStart, CommitNs, EndTimestamp;
    public bool Truncated, Stop;
    public string? FirstError;
    /// <summary>The thread's big file: its handle and how many bytes of it hold the pattern.</summary>
    public byte[] SeqName = Encoding.UTF8.GetBytes($"seq.t{id}");
    public long SeqWritten;

    public void Reset()
    {
        Latencies = new LatencyRecorder();
        WarmupLatencies = new LatencyRecorder();
        Steps = [new(), new(), new(), new()];
        Ops = WarmupOps = Bytes = WarmupBytes = Errors = VerifyFailures = ConsecutiveErrors = CommitNs = EndTimestamp = 0;
        Truncated = Stop = false;
        FirstError = null;
        RetriesAtStart = Client.Retries;
    }
}

/// <summary>Runs the workloads with N threads against one server and collects a <see cref="RunResult"/>.</summary>
public sealed class Runner : IDisposable
{
    private const int MaxConsecutiveErrors = 1000;
    private readonly Options _o;
    private ServerMetrics? _metrics;
    private readonly TextWriter _log;
    private readonly List<Worker> _workers = [];
    private NfsClient? _control;
    private byte[] _dir = [];
    private byte[] _dirName = [];
    private long _start, _warmupEnd, _deadline;

    public Runner(Options options, TextWriter? log = null)
    {
        _o = options;
        _log = log ?? Console.Error;
    }

    private NfsClient NewClient(int id) => _o.Protocol == "v41"
        ? new Nfs41Client(_o.Host, _o.Port, _o.Export, $"{id}") { RetrySleepMs = _o.RetrySleepMs }
        : new Nfs3Client(_o.Host, _o.Port, _o.MountPort, _o.Export) { RetrySleepMs = _o.RetrySleepMs };

    public RunResult Run()
    {
        var result = new RunResult
        {
            System = _o.System, Protocol = _o.Protocol, Host = $"{_o.Host}:{_o.Port}", Threads = _o.Threads, BlockSize = _o.BlockSize,
            FileSize = _o.FileSize, DurationCapSec = _o.DurationSec, WarmupSec = _o.WarmupSec, MetadataFilesPerThread = _o.MetadataFiles,
            SmallFiles = _o.SmallFiles, StartedUtc = DateTime.UtcNow,
        };
        if (_o.MetricsUrl is not null) _metrics = new ServerMetrics(_o.MetricsUrl, _log);
        _control = NewClient(-1);
        _control.Connect();
        _dirName = Encoding.UTF8.GetBytes($"loadgen.{Environment.ProcessId}.{Random.Shared.Next():x}");
        _dir = _control.MkDir(_control.Root, _dirName);
        int bufferSize = Math.Max(_o.BlockSize, _o.SmallMax);
        for (int i = 0; i < _o.Threads; i++)
        {
            NfsClient c = NewClient(i);
            c.Connect();
            _workers.Add(new Worker(i, c, bufferSize));
        }
        foreach (string w in _o.Workloads)
        {
            _log.WriteLine($"[{_o.System} {_o.Protocol}] {w} ...");
            Dictionary<string, long>? before = _metrics?.Snapshot(out _);
            WorkloadResult r = RunWorkload(w);
            // A server without S3 (the local block store) has no S3 series: nothing to record.
            if (before is not null && _metrics!.Settled() is { } after && after.Keys.Any(k => k != "uploaded_bytes"))
            {
                r.S3Requests = ServerMetrics.Delta(before, after);
                long requests = r.S3Requests.Where(kv => kv.Key != "uploaded_bytes").Sum(kv => kv.Value);
                long ops = r.WarmupIncluded ? r.TotalOps : r.TotalOps + r.WarmupOps;
                r.S3RequestsPer1000Ops = ops > 0 ? requests * 1000.0 / ops : null;
            }
            result.Workloads.Add(r);
            _log.WriteLine($"[{_o.System} {_o.Protocol}] {w}: {r.OpsPerSec:F0} ops/s, p99 {r.P99Ms:F2} ms, {r.TotalOps} ops, {r.Errors} errors, {r.Retries} retries, {r.VerifyFailures} verify failures{(r.FirstError is null ? "" : ", first error: " + r.FirstError)}");
        }
        Cleanup();
        return result;
    }

    private WorkloadResult RunWorkload(string name)
    {
        Action<Worker> prepare, body;
        switch (name)
        {
            case "seq-write": prepare = PrepareSeqWrite; body = SeqWrite; break;
            case "seq-read": prepare = w => PrepareExisting(w, write: false); body = SeqRead; break;
            case "rand-write": prepare = w => PrepareExisting(w, write: true); body = w => RandomIo(w, write: true); break;
            case "rand-read": prepare = w => PrepareExisting(w, write: false); body = w => RandomIo(w, write: false); break;
            case "metadata": prepare = _ => { }; body = Metadata; break;
            case "small-files": prepare = _ => { }; body = SmallFiles; break;
            default: throw new ArgumentException($"unknown workload {name}");
        }
        foreach (Worker w in _workers) w.Reset();
        using var barrier = new Barrier(_workers.Count, _ =>
        {
            _start = Stopwatch.GetTimestamp();
            _warmupEnd = _start + (long)(_o.WarmupSec * Stopwatch.Frequency);
            _deadline = _start + (long)(_o.DurationSec * Stopwatch.Frequency);
        });
        var threads = _workers.Select(w => new Thread(() =>
        {
            try { prepare(w); }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e); w.Stop = true; }
            barrier.SignalAndWait();
            if (!w.Stop)
            {
                try { body(w); }
                catch (Exception e) when (IsOpFailure(e)) { Fail(w, e); }
            }
            if (w.EndTimestamp == 0) w.EndTimestamp = Stopwatch.GetTimestamp();
        }) { Name = $"{name}-{w.Id}", IsBackground = true }).ToList();
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        double clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;

        long end = _workers.Max(w => w.EndTimestamp);
        long ops = _workers.Sum(w => w.Ops), bytes = _workers.Sum(w => w.Bytes);
        // The window starts when the warm-up ends. A workload that ended before that (a short file)
        // is measured whole instead, warm-up included (warmupIncluded = true).
        bool whole = ops == 0 && _workers.Sum(w => w.WarmupOps) > 0;
        double window = Math.Max(0, (end - (whole ? _start : Math.Min(_warmupEnd, end))) / (double)Stopwatch.Frequency);
        long[] sorted = LatencyRecorder.MergeSorted(_workers.Select(w => whole ? w.WarmupLatencies : w.Latencies));
        if (whole)
        {
            ops = _workers.Sum(w => w.WarmupOps);
            bytes = _workers.Sum(w => w.WarmupBytes);
        }
        bool io = name.StartsWith("seq", StringComparison.Ordinal) || name.StartsWith("rand", StringComparison.Ordinal);
        static double Ms(long ns) => ns / 1e6;
        return new WorkloadResult
        {
            Workload = name,
            OpsPerSec = window > 0 ? ops / window : 0,
            MbPerSec = io && window > 0 ? bytes / 1e6 / window : 0,
            P50Ms = Ms(Percentiles.NearestRank(sorted, 50)),
            P95Ms = Ms(Percentiles.NearestRank(sorted, 95)),
            P99Ms = Ms(Percentiles.NearestRank(sorted, 99)),
            MeanMs = sorted.Length == 0 ? 0 : Ms((long)sorted.Average()),
            MaxMs = sorted.Length == 0 ? 0 : Ms(sorted[^1]),
            TotalOps = ops,
            WarmupOps = whole ? 0 : _workers.Sum(w => w.WarmupOps),
            WarmupIncluded = whole,
            Errors = _workers.Sum(w => w.Errors),
            Retries = _workers.Sum(w => w.Client.Retries - w.RetriesAtStart),
            VerifyFailures = _workers.Sum(w => w.VerifyFailures),
            DurationSec = window,
            CommitMs = Ms(_workers.Max(w => w.CommitNs)),
            TruncatedByCap = _workers.Any(w => w.Truncated),
            ClientCpuUsPerOp = ops + _workers.Sum(w => w.WarmupOps) is > 0 and var all ? clientCpu * 1e6 / (whole ? ops : all) : 0,
            FirstError = _workers.Select(w => w.FirstError).FirstOrDefault(e => e is not null),
            Steps = StepNames(name) is { } steps && !whole
                ? [.. steps.Select((s, i) => Step(s, LatencyRecorder.MergeSorted(_workers.Select(w => w.Steps[i])), window))]
                : null,
        };
    }

    private static string[]? StepNames(string workload) => workload switch
    {
        "metadata" => ["create", "stat", "delete"],
        "small-files" => WorkloadPlan.SmallFilePhases,
        _ => null,
    };

    private static StepResult Step(string name, long[] sorted, double window) => new()
    {
        Step = name,
        Ops = sorted.Length,
        P50Ms = Percentiles.NearestRank(sorted, 50) / 1e6,
        P99Ms = Percentiles.NearestRank(sorted, 99) / 1e6,
        MeanMs = sorted.Length == 0 ? 0 : sorted.Average() / 1e6,
    };

    // ---- op accounting ------------------------------------------------------------------------

    private static bool IsOpFailure(Exception e) => e is NfsException or RpcException or SocketException or IOException or DittoFs.Xdr.XdrException;

    private bool Over(Worker w)
    {
        if (w.Stop) return true;
        if (Stopwatch.GetTimestamp() < _deadline) return false;
        w.Truncated = true;
        return true;
    }

    /// <summary>Records one successful op that started at <paramref name="t0"/>.</summary>
    private void Done(Worker w, long t0, long bytes = 0, int step = -1)
    {
        long t1 = Stopwatch.GetTimestamp();
        w.ConsecutiveErrors = 0;
        long ns = (long)((t1 - t0) * (1e9 / Stopwatch.Frequency));
        if (t0 < _warmupEnd)
        {
            w.WarmupOps++;
            w.WarmupBytes += bytes;
            w.WarmupLatencies.Add(ns);
            return;
        }
        w.Ops++;
        w.Bytes += bytes;
        w.Latencies.Add(ns);
        if (step >= 0) w.Steps[step].Add(ns);
    }

    private void Fail(Worker w, Exception e, string? what = null)
    {
        w.Errors++;
        w.FirstError ??= $"thread {w.Id}: {what}{(what is null ? "" : ": ")}{e.GetType().Name}: {e.Message}";
        if (++w.ConsecutiveErrors > MaxConsecutiveErrors || e is RpcException or SocketException or IOException) w.Stop = true;
    }

    private void VerifyFailed(Worker w, string what)
    {
        w.VerifyFailures++;
        w.FirstError ??= $"thread {w.Id}: verify failed: {what}";
    }

    // ---- seq / rand ---------------------------------------------------------------------------

    private readonly Dictionary<int, FileRef> _open = [];

    private void PrepareSeqWrite(Worker w)
    {
        try { w.Client.Remove(_dir, w.SeqName); } catch (NfsException) { }
        w.SeqWritten = 0;
        FileRef f = w.Client.Create(_dir, w.SeqName);
        lock (_open) _open[w.Id] = f;
    }

    /// <summary>Opens the thread's file; writes it (untimed) first when no seq-write ran before.</summary>
    private void PrepareExisting(Worker w, bool write)
    {
        if (w.SeqWritten == 0)
        {
            FileRef f = w.Client.Create(_dir, w.SeqName);
            for (long off = 0; off < _o.FileSize; off += _o.BlockSize)
            {
                int n = (int)Math.Min(_o.BlockSize, _o.FileSize - off);
                Pattern.Fill(w.WriteBuf.AsSpan(0, n), WorkloadPlan.SeqFileId(w.Id), (ulong)off);
                w.Client.Write(f, (ulong)off, w.WriteBuf.AsMemory(0, n));
            }
            w.Client.Commit(f);
            w.Client.Close(f);
            w.SeqWritten = _o.FileSize;
        }
        FileRef file = w.Client.Open(_dir, w.SeqName, write);
        lock (_open) _open[w.Id] = file;
    }

    private FileRef OpenFile(Worker w) { lock (_open) return _open[w.Id]; }

    private void SeqWrite(Worker w)
    {
        FileRef f = OpenFile(w);
        ulong fid = WorkloadPlan.SeqFileId(w.Id);
        int bs = _o.BlockSize;
        for (long off = 0; off + bs <= _o.FileSize && !Over(w); off += bs)
        {
            Pattern.Fill(w.WriteBuf.AsSpan(0, bs), fid, (ulong)off);
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                w.Client.Write(f, (ulong)off, w.WriteBuf.AsMemory(0, bs));
                Done(w, t0, bs);
                w.SeqWritten = off + bs;
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"write @{off}"); }
        }
        FinishWrite(w, f);
    }

    /// <summary>COMMIT at the end of a write workload (timed on its own, not an op), then CLOSE.</summary>
    private void FinishWrite(Worker w, FileRef f)
    {
        w.EndTimestamp = Stopwatch.GetTimestamp();
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            w.Client.Commit(f);
            w.CommitNs = (long)((Stopwatch.GetTimestamp() - t0) * (1e9 / Stopwatch.Frequency));
        }
        catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, "commit"); }
        try { w.Client.Close(f); } catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, "close"); }
    }

    private void SeqRead(Worker w)
    {
        FileRef f = OpenFile(w);
        ulong fid = WorkloadPlan.SeqFileId(w.Id);
        int bs = _o.BlockSize;
        for (long off = 0; off < w.SeqWritten && !Over(w); off += bs)
        {
            int want = (int)Math.Min(bs, w.SeqWritten - off);
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                int n = w.Client.Read(f, (ulong)off, w.ReadBuf.AsSpan(0, want));
                Done(w, t0, n);
                if (n != want) VerifyFailed(w, $"short read @{off}: {n} of {want}");
                else if (_o.Verify && !Pattern.Check(w.ReadBuf.AsSpan(0, n), fid, (ulong)off)) VerifyFailed(w, $"data @{off}");
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"read @{off}"); }
        }
        w.EndTimestamp = Stopwatch.GetTimestamp();
        try { w.Client.Close(f); } catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, "close"); }
    }

    private void RandomIo(Worker w, bool write)
    {
        FileRef f = OpenFile(w);
        ulong fid = WorkloadPlan.SeqFileId(w.Id);
        int bs = _o.BlockSize;
        var rng = new Rng(_o.Seed ^ (0xABCD0000UL + (ulong)w.Id) ^ (write ? 0x77UL : 0x55UL));
        while (!Over(w))
        {
            ulong off = WorkloadPlan.RandomOffset(ref rng, w.SeqWritten, bs);
            long t0;
            try
            {
                if (write)
                {
                    Pattern.Fill(w.WriteBuf.AsSpan(0, bs), fid, off);
                    t0 = Stopwatch.GetTimestamp();
                    w.Client.Write(f, off, w.WriteBuf.AsMemory(0, bs));
                    Done(w, t0, bs);
                }
                else
                {
                    t0 = Stopwatch.GetTimestamp();
                    int n = w.Client.Read(f, off, w.ReadBuf.AsSpan(0, bs));
                    Done(w, t0, n);
                    if (n != bs) VerifyFailed(w, $"short read @{off}: {n} of {bs}");
                    else if (_o.Verify && !Pattern.Check(w.ReadBuf.AsSpan(0, n), fid, off)) VerifyFailed(w, $"data @{off}");
                }
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"{(write ? "write" : "read")} @{off}"); }
        }
        if (write) FinishWrite(w, f);
        else
        {
            w.EndTimestamp = Stopwatch.GetTimestamp();
            try { w.Client.Close(f); } catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, "close"); }
        }
    }

    // ---- metadata -----------------------------------------------------------------------------

    private void Metadata(Worker w)
    {
        int n = _o.MetadataFiles;
        byte[][] names = [.. Enumerable.Range(0, n).Select(i => Encoding.UTF8.GetBytes($"md.t{w.Id}.{i}"))];
        bool[] live = new bool[n];
        while (!Over(w))
        {
            // One cycle = WorkloadPlan.MetadataCycle: create all, stat all, delete all.
            for (int i = 0; i < n && !Over(w); i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    live[i] = true;
                    FileRef f = w.Client.Create(_dir, names[i]);
                    w.Client.Close(f);
                    Done(w, t0, 0, 0);
                }
                catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"create md.t{w.Id}.{i}"); }
            }
            for (int i = 0; i < n && !Over(w); i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    ulong size = w.Client.Stat(_dir, names[i]);
                    Done(w, t0, 0, 1);
                    if (_o.Verify && size != 0) VerifyFailed(w, $"stat md.t{w.Id}.{i}: size {size}");
                }
                catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"stat md.t{w.Id}.{i}"); }
            }
            for (int i = 0; i < n && !Over(w); i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    w.Client.Remove(_dir, names[i]);
                    Done(w, t0, 0, 2);
                    live[i] = false;
                }
                catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"delete md.t{w.Id}.{i}"); }
            }
        }
        w.EndTimestamp = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            if (!live[i]) continue;
            try { w.Client.Remove(_dir, names[i]); } catch (Exception e) when (IsOpFailure(e)) { }
        }
    }

    // ---- small files --------------------------------------------------------------------------

    private void SmallFiles(Worker w)
    {
        int count = WorkloadPlan.SmallFilesFor(w.Id, _o.Threads, _o.SmallFiles);
        int[] sizes = WorkloadPlan.SmallFileSizes(_o.Seed, w.Id, count, _o.SmallMin, _o.SmallMax);
        byte[][] names = [.. Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes($"sf.t{w.Id}.{i}"))];
        bool[] live = new bool[count];
        // Phase 1: create + write + COMMIT + close (what close() of a written file costs on a Linux client).
        for (int i = 0; i < count && !Over(w); i++)
        {
            ulong fid = WorkloadPlan.SmallFileId(w.Id, i);
            Pattern.Fill(w.WriteBuf.AsSpan(0, sizes[i]), fid, 0);
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                live[i] = true;
                FileRef f = w.Client.Create(_dir, names[i]);
                w.Client.Write(f, 0, w.WriteBuf.AsMemory(0, sizes[i]));
                w.Client.Commit(f);
                w.Client.Close(f);
                Done(w, t0, 0, 0);
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"create+write sf.t{w.Id}.{i}"); }
        }
        // Phase 2: open + read all + close, verified.
        for (int i = 0; i < count && !Over(w); i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                FileRef f = w.Client.Open(_dir, names[i], write: false);
                int got = 0;
                while (got < sizes[i])
                {
                    int n = w.Client.Read(f, (ulong)got, w.ReadBuf.AsSpan(got, sizes[i] - got));
                    if (n == 0) break;
                    got += n;
                }
                w.Client.Close(f);
                Done(w, t0, 0, 1);
                if (got != sizes[i]) VerifyFailed(w, $"sf.t{w.Id}.{i}: read {got} of {sizes[i]} bytes");
                else if (_o.Verify && !Pattern.Check(w.ReadBuf.AsSpan(0, got), WorkloadPlan.SmallFileId(w.Id, i), 0)) VerifyFailed(w, $"sf.t{w.Id}.{i}: data");
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"read sf.t{w.Id}.{i}"); }
        }
        // Phase 3: stat, size checked.
        for (int i = 0; i < count && !Over(w); i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                ulong size = w.Client.Stat(_dir, names[i]);
                Done(w, t0, 0, 2);
                if (_o.Verify && size != (ulong)sizes[i]) VerifyFailed(w, $"stat sf.t{w.Id}.{i}: size {size} != {sizes[i]}");
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"stat sf.t{w.Id}.{i}"); }
        }
        // Phase 4: delete.
        for (int i = 0; i < count && !Over(w); i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                w.Client.Remove(_dir, names[i]);
                Done(w, t0, 0, 3);
                live[i] = false;
            }
            catch (Exception e) when (IsOpFailure(e)) { Fail(w, e, $"delete sf.t{w.Id}.{i}"); }
        }
        w.EndTimestamp = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            if (!live[i]) continue;
            try { w.Client.Remove(_dir, names[i]); } catch (Exception e) when (IsOpFailure(e)) { }
        }
    }

    // ---- teardown -----------------------------------------------------------------------------

    private void Cleanup()
    {
        if (_control is null) return;
        foreach (Worker w in _workers)
        {
            try { _control.Remove(_dir, w.SeqName); } catch (Exception e) when (IsOpFailure(e)) { }
        }
        try { _control.RmDir(_control.Root, _dirName); } catch (Exception e) when (IsOpFailure(e)) { _log.WriteLine($"cleanup: {e.Message}"); }
    }

    public void Dispose()
    {
        foreach (Worker w in _workers) w.Client.Dispose();
        _control?.Dispose();
    }
}
