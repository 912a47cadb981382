using FASTER.core;

namespace DittoFs.Storage.Metadata.Faster;

/// <summary>
/// The FasterKV&lt;SpanByte, SpanByte&gt; holding the metadata, with byte-span
/// point operations. Keys and values are pinned for the duration of each call;
/// reads that go to disk (IsPending) are completed synchronously.
/// </summary>
internal sealed unsafe class MetadataKv : IDisposable
{
    private readonly IDevice _device;
    private readonly SessionPool _sessions;

    /// <summary>The session pool (compaction rents one too).</summary>
    public SessionPool Sessions => _sessions;

    public FasterKV<SpanByte, SpanByte> Store { get; }

    public MetadataKv(FasterMetadataStoreOptions options)
    {
        Directory.CreateDirectory(options.KvDirectory);
        Directory.CreateDirectory(options.CheckpointDirectory);
        SegmentSize = SegmentSizeOf(options.KvDirectory, "hlog", options.KvSegmentSize);
        _device = Devices.CreateLogDevice(Path.Combine(options.KvDirectory, "hlog"), recoverDevice: true);
        Store = new FasterKV<SpanByte, SpanByte>(new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = options.KvIndexSize,
            SegmentSize = SegmentSize,
            LogDevice = _device,
            MemorySize = options.KvMemorySize,
            PageSize = options.KvPageSize,
            CheckpointDir = options.CheckpointDirectory,
            RemoveOutdatedCheckpoints = true,
            // Recovery is explicit (RecoverAsync) so a failure surfaces instead of silently starting empty.
            TryRecoverLatest = false,
        });
        _sessions = new SessionPool(Store);
    }

    /// <summary>Bytes per hybrid log file: compaction frees disk a whole file at a time.</summary>
    public long SegmentSize { get; }

    /// <summary>
    /// A log keeps the segment size it was made with (it decides which file holds which address):
    /// written to <c>segment-size</c> next to the log files when the log is new; a log from before
    /// that file existed used FASTER's default, 1 GiB.
    /// </summary>
    public static long SegmentSizeOf(string directory, string filePrefix, long wanted)
    {
        string marker = Path.Combine(directory, "segment-size");
        if (File.Exists(marker)) return long.Parse(File.ReadAllText(marker).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        long size = Directory.EnumerateFiles(directory, filePrefix + "*").Any() ? 1L << 30 : wanted;
        File.WriteAllText(marker, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return size;
    }

    /// <summary>
    /// Reads the value into <paramref name="dst"/> (which must be stack memory or pinned).
    /// Returns -1 if absent, else the value length; if that exceeds dst, nothing was copied.
    /// </summary>
    public int Read(ReadOnlySpan<byte> key, Span<byte> dst)
    {
        var output = new SpanByteAndMemory(SpanByte.FromFixedSpan(dst));
        if (!ReadCore(key, ref output)) return -1;
        if (!output.IsSpanByte) output.Memory.Dispose();
        return output.Length;
    }

    /// <summary>Reads a value of any size into a new array; null if absent.</summary>
    public byte[]? ReadBytes(ReadOnlySpan<byte> key)
    {
        // No stack buffer: SpanByteFunctions rents heap memory of the value's size.
        var output = default(SpanByteAndMemory);
        if (!ReadCore(key, ref output))
        {
            if (!output.IsSpanByte) output.Memory?.Dispose();
            return null;
        }
        if (output.IsSpanByte) return output.Length == 0 ? [] : throw new InvalidOperationException("FASTER wrote a value into a null buffer");
        using (output.Memory) return output.Memory.Memory.Span[..output.Length].ToArray();
    }

    public void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var session = _sessions.Rent();
        try
        {
            // fixed pins the spans (they may be arrays) for FromFixedSpan.
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                var keySb = SpanByte.FromFixedSpan(key);
                var valueSb = SpanByte.FromFixedSpan(value);
                var status = session.Upsert(ref keySb, ref valueSb);
                if (status.IsPending) session.CompletePending(wait: true);
            }
        }
        finally { _sessions.Return(session); }
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        var session = _sessions.Rent();
        try
        {
            fixed (byte* k = key)
            {
                var keySb = SpanByte.FromFixedSpan(key);
                var status = session.Delete(ref keySb);
                if (status.IsPending) session.CompletePending(wait: true);
            }
        }
        finally { _sessions.Return(session); }
    }

    private bool ReadCore(ReadOnlySpan<byte> key, ref SpanByteAndMemory output)
    {
        var session = _sessions.Rent();
        try
        {
            fixed (byte* k = key)
            {
                var keySb = SpanByte.FromFixedSpan(key);
                var status = session.Read(ref keySb, ref output);
                if (status.IsPending)
                {
                    // The record is on disk: wait for the I/O and take the output from the completion list.
                    session.CompletePendingWithOutputs(out var completed, wait: true);
                    using (completed)
                    {
                        if (!completed.Next()) throw new InvalidOperationException("FASTER lost a pending read");
                        status = completed.Current.Status;
                        output = completed.Current.Output;
                    }
                }
                return status.Found;
            }
        }
        finally { _sessions.Return(session); }
    }

    public void Dispose()
    {
        _sessions.Dispose();
        Store.Dispose();
        _device.Dispose();
    }

    /// <summary>Test hook for a simulated crash: closes files without flushing or checkpointing.</summary>
    public void CloseDeviceOnly() => _device.Dispose();
}
