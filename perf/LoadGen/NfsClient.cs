namespace DittoFs.LoadGen;

/// <summary>A file as the workloads see it: its handle and, for NFSv4.1, the open stateid.</summary>
public sealed class FileRef(byte[] handle, byte[]? stateid = null)
{
    public byte[] Handle { get; } = handle;
    public byte[]? Stateid { get; set; } = stateid;
}

/// <summary>An NFS status the workload counts as an error (the server answered, but not OK).</summary>
public sealed class NfsException(string op, int status) : Exception($"{op}: status {status}")
{
    public string Op { get; } = op;
    public int Status { get; } = status;
}

/// <summary>
/// The operations the workloads use, each as the Linux client would send it for one
/// application call. One instance = one TCP connection = one request in flight. Statuses
/// NFS3ERR_JUKEBOX / NFS4ERR_DELAY (both 10008) are retried after <see cref="RetrySleepMs"/>
/// and counted in <see cref="Retries"/>; any other non-OK status throws <see cref="NfsException"/>.
/// </summary>
public abstract class NfsClient : IDisposable
{
    public const int Delay = 10008;          // NFS3ERR_JUKEBOX == NFS4ERR_DELAY
    public const int MaxRetries = 10_000;

    /// <summary>JUKEBOX / DELAY answers that were retried.</summary>
    public long Retries { get; protected set; }
    public int RetrySleepMs { get; init; } = 10;

    /// <summary>The export's root handle (after <see cref="Connect"/>).</summary>
    public abstract byte[] Root { get; }

    /// <summary>v3: MNT. v4.1: EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE, root lookup.</summary>
    public abstract void Connect();

    /// <summary>Makes (or finds) a directory; returns its handle.</summary>
    public abstract byte[] MkDir(byte[] dir, byte[] name);

    /// <summary>open(O_CREAT|O_WRONLY): v3 CREATE unchecked; v4.1 OPEN create unchecked + GETFH + GETATTR.</summary>
    public abstract FileRef Create(byte[] dir, byte[] name);

    /// <summary>open() of an existing file: v3 LOOKUP; v4.1 OPEN nocreate + GETFH + GETATTR.</summary>
    public abstract FileRef Open(byte[] dir, byte[] name, bool write);

    /// <summary>close(): nothing on v3; CLOSE on v4.1.</summary>
    public abstract void Close(FileRef file);

    /// <summary>One UNSTABLE WRITE of all of <paramref name="data"/>.</summary>
    public abstract void Write(FileRef file, ulong offset, ReadOnlyMemory<byte> data);

    /// <summary>One READ; copies the data into <paramref name="into"/> and returns the count.</summary>
    public abstract int Read(FileRef file, ulong offset, Span<byte> into);

    public abstract void Commit(FileRef file);

    /// <summary>stat(dir/name): v3 LOOKUP + GETATTR; v4.1 PUTFH LOOKUP GETATTR. Returns the size.</summary>
    public abstract ulong Stat(byte[] dir, byte[] name);

    public abstract void Remove(byte[] dir, byte[] name);

    /// <summary>Removes an empty directory (cleanup).</summary>
    public abstract void RmDir(byte[] dir, byte[] name);

    public abstract void Dispose();

    protected void Backoff(string op, ref int attempt)
    {
        if (++attempt > MaxRetries) throw new NfsException(op + " (retries exhausted)", Delay);
        Retries++;
        Thread.Sleep(RetrySleepMs);
    }
}
