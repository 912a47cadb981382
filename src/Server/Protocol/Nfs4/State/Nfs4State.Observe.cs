namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>What `dittofs status` and the metrics read of the NFSv4 state (read-only, one lock each).</summary>
internal sealed partial class Nfs4State
{
    /// <summary>Time left in the grace period after a restart; zero when not in grace.</summary>
    public TimeSpan GraceRemaining
    {
        get
        {
            long ends = Volatile.Read(ref _graceEnds);
            if (ends == GraceAwaitsStorage) return TimeSpan.FromSeconds(Math.Max(_options.GraceSeconds, _options.LeaseSeconds)); // not started
            long left = ends - Environment.TickCount64;
            return ends == 0 || left <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(left);
        }
    }

    /// <summary>Clients (confirmed or not), sessions, open states and byte-range locks held now.</summary>
    public (int Clients, int Sessions, int Opens, int Locks) Counts()
    {
        lock (_lock)
        {
            int opens = 0;
            foreach (List<OpenState> list in _opensByFile.Values) opens += list.Count;
            return (_clients.Count, _sessions.Count, opens, _ranges.Count); // NLM's locks too: one table
        }
    }
}
