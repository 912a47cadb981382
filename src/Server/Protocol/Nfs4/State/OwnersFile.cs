using Microsoft.Extensions.Logging;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// DataDirectory/nfs4/clients: the owners of confirmed clients, one hex line each, so that
/// the next instance knows whom to wait for in its grace period. Written by one background
/// task (write, fsync, rename), never under the state lock: a change only marks the list
/// dirty and wakes the writer, and every change made while a write runs goes into the next
/// one (1,000 clients expiring at once cost one rewrite, not 1,000).
/// </summary>
internal sealed class OwnersFile : IDisposable
{
    private readonly string? _path;
    private readonly ILogger _logger;
    private readonly Func<string[]> _snapshot;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _signalled;
    private bool _disposed;

    /// <param name="snapshot">The current owners; called by the writer, takes the state's lock itself.</param>
    public OwnersFile(string? path, ILogger logger, Func<string[]> snapshot)
    {
        _path = path;
        _logger = logger;
        _snapshot = snapshot;
        _writer = path is null ? Task.CompletedTask : Task.Run(WriteLoopAsync);
    }

    /// <summary>The owners the previous instance wrote (empty without a file).</summary>
    public static HashSet<string> Load(string? path)
    {
        var owners = new HashSet<string>(StringComparer.Ordinal);
        if (path is null || !File.Exists(path)) return owners;
        try
        {
            foreach (string line in File.ReadAllLines(path))
            {
                if (line.Length > 0) owners.Add(line.Trim());
            }
        }
        catch (IOException)
        {
        }
        return owners;
    }

    /// <summary>
    /// The list changed (the caller may hold the state lock: no I/O here). The task completes
    /// once a write that includes the change is on disk (or failed and was logged).
    /// </summary>
    public Task Changed()
    {
        if (_path is null) return Task.CompletedTask;
        Task written;
        bool wake;
        lock (_gate)
        {
            if (_disposed) return Task.CompletedTask;
            written = _next.Task;
            wake = !_signalled;
            _signalled = true;
        }
        if (wake) _wake.Release();
        return written;
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            try
            {
                await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            TaskCompletionSource done;
            lock (_gate)
            {
                // Changes from here on wait for the next round; the snapshot below holds all before.
                done = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _signalled = false;
            }
            try
            {
                Write(_snapshot());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Nfs4Log.OwnersFileFailed(_logger, ex);
            }
            done.TrySetResult();
        }
    }

    private void Write(string[] owners)
    {
        string temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(stream))
        {
            foreach (string owner in owners) writer.WriteLine(owner);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _path!, overwrite: true);
    }

    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _stop.Cancel();
        try
        {
            _writer.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _next.TrySetResult();
        _stop.Dispose();
        _wake.Dispose();
    }
}
