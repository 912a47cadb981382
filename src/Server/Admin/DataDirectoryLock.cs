namespace DittoFs.Server.Admin;

/// <summary>
/// An exclusive lock on <c>&lt;data&gt;/dittofs.lock</c> (flock on Linux): a second
/// server, or <c>dittofs check</c> while a server runs, is refused instead of
/// opening the same FASTER files twice. The OS drops it when the process dies.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "dittofs.lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <exception cref="InvalidOperationException">Another process holds the lock.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, FileName);
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            using (var writer = new StreamWriter(file, leaveOpen: true)) writer.Write(Environment.ProcessId);
            return new DataDirectoryLock(file);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"The data directory {dataDirectory} is in use by another DittoFs process ({path} is locked).", e);
        }
    }

    public void Dispose() => _file.Dispose();
}
