using System.Collections.Concurrent;
using DittoFs.Server.Options;
using DittoFs.Storage;
using DittoFs.Storage.Metadata.Postgres;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Locks;

/// <summary>
/// Byte-range locks and share reservations honoured across servers (MetadataStore=Postgres): this server's
/// in-memory tables (<see cref="ByteRangeLocks"/>, the NFSv4 opens) stay the first check and the truth for
/// its own clients; each file's rows in the database (<see cref="PostgresSharedLocks"/>) mirror what this
/// server holds, so other servers see it. With any other metadata store it is off and costs nothing.
///
/// Order per file: every grant and mirror write of a file on this server runs inside the file's stripe
/// (an async mutex), so a grant's write and a later unlock's write reach the database in that order.
/// A grant writes what the server will hold with the new lock (a superset until the local grant lands);
/// whatever shrinks the local table (unlock, downgrade, a lease or host that went) raises
/// <see cref="ByteRangeLocks.Released"/> or <see cref="SharesChanged"/>, and the file is written again.
/// A write the database did not take is retried every second until it does.
/// </summary>
internal sealed class SharedLocks : IAsyncDisposable, IDisposable
{
    private readonly PostgresSharedLocks? _db;
    private readonly ByteRangeLocks _ranges;
    private readonly ILogger<SharedLocks> _logger;
    private readonly SemaphoreSlim[] _stripes = new SemaphoreSlim[64];
    private readonly ConcurrentDictionary<FileId, byte> _dirtyLocks = new();
    private readonly ConcurrentDictionary<FileId, byte> _dirtyShares = new();
    private readonly ConcurrentDictionary<FileId, byte> _mirrored = new();
    private readonly CancellationTokenSource _stop = new();
    private Func<FileId, List<SharedShare>>? _shares;
    private Task _loop = Task.CompletedTask;

    public SharedLocks(IOptions<DittoFsOptions> options, ByteRangeLocks ranges, ILogger<SharedLocks> logger, StorageHost? storage = null)
    {
        _ranges = ranges;
        _logger = logger;
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new SemaphoreSlim(1, 1);
        DittoFsOptions o = options.Value;
        if (!o.MetadataStore.Equals("Postgres", StringComparison.OrdinalIgnoreCase)) return;
        _db = new PostgresSharedLocks(o.Postgres.ResolveConnectionString(), TimeSpan.FromSeconds(Math.Max(1, o.Nfs4.LeaseSeconds)),
            TimeSpan.FromSeconds(Math.Max(1, o.Postgres.LockTimeoutSeconds)));
        ranges.Released += file => _ = SyncLocksAsync(file);
        // NFSv4 grants write their rows in the grant; NLM grants too (NlmState.Shared.cs), with the new range added to
        // what the owner held: written again after the local grant, which may have split or replaced the owner's ranges.
        ranges.Granted += (file, holder) =>
        {
            if (holder is not Nfs4.State.LockState) _ = SyncLocksAsync(file);
        };
        // The tables exist once the metadata store has migrated (storage ready); grants answer DELAY until the first heartbeat.
        _loop = (storage?.Ready ?? Task.CompletedTask).ContinueWith(_ => RunAsync(), TaskScheduler.Default).Unwrap();
    }

    /// <summary>Several servers share one database: grants go through it.</summary>
    public bool Enabled => _db is not null;

    /// <summary>This server's id in the database (tests, logs).</summary>
    public Guid ServerId => _db?.ServerId ?? Guid.Empty;

    /// <summary>The share reservations this server holds on a file (NFSv4 opens), for the mirror; set once by Nfs4State.</summary>
    public void UseShares(Func<FileId, List<SharedShare>> shares) => _shares = shares;

    /// <summary>Opens of the file went or were downgraded: its share rows are written again.</summary>
    public void SharesChanged(FileId file)
    {
        // Called under the NFSv4 state lock: the write starts on the thread pool.
        if (_db is not null) ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Self.SyncSharesAsync(s.File), (Self: this, File: file), preferLocal: false);
    }

    /// <summary>The file's stripe, for one grant; null when it was not free within the database timeout (answer DELAY).</summary>
    public async Task<IDisposable?> EnterAsync(FileId file)
    {
        SemaphoreSlim stripe = _stripes[(int)((uint)file.GetHashCode() % (uint)_stripes.Length)];
        return await stripe.WaitAsync(_db!.Timeout).ConfigureAwait(false) ? new Exit(stripe) : null;
    }

    /// <summary>What this server holds on the file, plus <paramref name="adding"/> (the range about to be granted).</summary>
    public List<SharedRange> Held(FileId file, SharedRange? adding = null)
    {
        var held = new List<SharedRange>();
        foreach (HeldRange r in _ranges.RangesOf(file))
        {
            (ulong client, byte[] owner) = Describe(r.Holder);
            held.Add(new SharedRange(r.Start, r.End, r.Write, client, owner));
        }
        if (adding is { } a) held.Add(a);
        return held;
    }

    /// <summary>LOCK4denied's owner: an NFSv4 lock owner with its client id, an NLM owner handle with 0.</summary>
    public static (ulong ClientId, byte[] Owner) Describe(object holder) => holder is Nfs4.State.LockState l
        ? (l.Client.Id, l.LockOwner)
        : (0, (holder as IForeignLockHolder)?.OwnerBytes ?? []);

    /// <summary>Inside the file's stripe: grants [start, end) unless another server holds a conflicting range.</summary>
    public async Task<(SharedGrant Grant, SharedRange Conflict)> TryLockAsync(FileId file, ulong start, ulong end, bool write, List<SharedRange> held)
    {
        (SharedGrant grant, SharedRange conflict) = await _db!.TryLockAsync(file, start, end, write, held).ConfigureAwait(false);
        if (grant == SharedGrant.Granted) _mirrored[file] = 0;
        return (grant, conflict);
    }

    /// <summary>A conflicting range another server holds (LOCKT).</summary>
    public Task<(SharedGrant Grant, SharedRange Conflict)> TestLockAsync(FileId file, ulong start, ulong end, bool write) =>
        _db!.TestLockAsync(file, start, end, write);

    /// <summary>Inside the file's stripe: grants a share reservation unless another server's open conflicts.</summary>
    public async Task<(SharedGrant Grant, SharedShare Conflict)> TryShareAsync(FileId file, uint access, uint deny, List<SharedShare> held)
    {
        (SharedGrant grant, SharedShare conflict) = await _db!.TryShareAsync(file, access, deny, held).ConfigureAwait(false);
        if (grant == SharedGrant.Granted) _mirrored[file] = 0;
        return (grant, conflict);
    }

    /// <summary>The file's range rows become what this server holds now (after the stripe is free).</summary>
    public async Task SyncLocksAsync(FileId file)
    {
        if (_db is null) return;
        using IDisposable? stripe = await EnterAsync(file).ConfigureAwait(false);
        List<SharedRange> held = Held(file);
        if (stripe is null || !await _db.SyncLocksAsync(file, held).ConfigureAwait(false))
        {
            _dirtyLocks[file] = 0;
            return;
        }
        _dirtyLocks.TryRemove(file, out _);
        if (held.Count == 0) Forget(file);
        else _mirrored[file] = 0;
    }

    /// <summary>A file with no rows of this server left needs no rewrite after a lapsed lease (the set stays as small as what is held).</summary>
    private void Forget(FileId file)
    {
        if (_ranges.RangesOf(file).Length == 0 && (_shares?.Invoke(file).Count ?? 0) == 0) _mirrored.TryRemove(file, out _);
    }

    /// <summary>The file's share rows become the opens this server holds now.</summary>
    public async Task SyncSharesAsync(FileId file)
    {
        if (_db is null) return;
        using IDisposable? stripe = await EnterAsync(file).ConfigureAwait(false);
        List<SharedShare> held = _shares?.Invoke(file) ?? [];
        if (stripe is null || !await _db.SyncSharesAsync(file, held).ConfigureAwait(false))
        {
            _dirtyShares[file] = 0;
            return;
        }
        _dirtyShares.TryRemove(file, out _);
        if (held.Count == 0) Forget(file);
        else _mirrored[file] = 0;
    }

    /// <summary>Heartbeats every third of a lease; a lapsed lease writes every mirrored file again; failed writes are retried every second.</summary>
    private async Task RunAsync()
    {
        PostgresSharedLocks db = _db!;
        long nextBeat = 0;
        bool failing = false;
        while (!_stop.IsCancellationRequested)
        {
            if (Environment.TickCount64 >= nextBeat)
            {
                try
                {
                    bool first = nextBeat == 0;
                    if (await db.HeartbeatAsync().ConfigureAwait(false))
                    {
                        SharedLocksLog.LeaseLapsed(_logger);
                        foreach (FileId file in _mirrored.Keys)
                        {
                            _dirtyLocks[file] = 0;
                            _dirtyShares[file] = 0;
                        }
                    }
                    if (first) SharedLocksLog.LeaseTaken(_logger, db.ServerId, (int)db.Lease.TotalSeconds);
                    nextBeat = Environment.TickCount64 + (long)Math.Max(500, db.Lease.TotalMilliseconds / 3);
                    failing = false;
                }
                catch (IOException e)
                {
                    if (!failing) SharedLocksLog.HeartbeatFailed(_logger, e.Message);
                    failing = true;
                    nextBeat = Environment.TickCount64 + 1000;
                }
            }
            foreach (FileId file in _dirtyLocks.Keys) await SyncLocksAsync(file).ConfigureAwait(false);
            foreach (FileId file in _dirtyShares.Keys) await SyncSharesAsync(file).ConfigureAwait(false);
            try
            {
                await Task.Delay(Math.Min(1000, (int)db.Lease.TotalMilliseconds / 3), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_db is null || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
        // A clean stop gives the lease up at once (a kill -9 leaves it to run out).
        await _db.ReleaseAsync().ConfigureAwait(false);
        await _db.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>A container disposed synchronously: the same, waited for (bounded by the database timeout).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class Exit(SemaphoreSlim stripe) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) stripe.Release();
        }
    }
}
