namespace DittoFs.Storage.Payload;

/// <summary>
/// Group commit for flushes (COMMIT, FILE_SYNC): a caller joins the next round; one round
/// makes durable every inode that joined it, so concurrent callers share the fsyncs. A round
/// starts only after the previous one ended, so everything a caller wrote before joining is
/// covered by the round it joined.
/// </summary>
internal sealed class FlushRounds(Func<HashSet<ulong>, Task> runRound, Func<Exception, Exception> translate)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _nextRound;
    private HashSet<ulong> _nextInodes = [];
    private bool _running;

    /// <summary>Completes when a round that includes <paramref name="inode"/> has finished.</summary>
    public Task JoinAsync(ulong inode)
    {
        TaskCompletionSource round;
        bool start = false;
        lock (_lock)
        {
            round = _nextRound ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _nextInodes.Add(inode);
            if (!_running)
            {
                _running = true;
                start = true;
            }
        }
        if (start) _ = Task.Run(LoopAsync);
        return round.Task;
    }

    /// <summary>Runs rounds until nobody waits.</summary>
    private async Task LoopAsync()
    {
        while (true)
        {
            TaskCompletionSource round;
            HashSet<ulong> inodes;
            lock (_lock)
            {
                if (_nextRound is null)
                {
                    _running = false;
                    return;
                }
                round = _nextRound;
                inodes = _nextInodes;
                _nextRound = null;
                _nextInodes = [];
            }
            try
            {
                await runRound(inodes).ConfigureAwait(false);
                round.SetResult();
            }
            catch (Exception e)
            {
                round.SetException(translate(e));
            }
        }
    }
}
