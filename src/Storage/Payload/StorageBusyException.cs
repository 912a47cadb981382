namespace DittoFs.Storage.Payload;

/// <summary>
/// The payload store cannot take the request now but will later (its cache is full of data not
/// yet uploaded, or the object store is unreachable); the filesystem reports Delay, which NFS
/// maps to NFS3ERR_JUKEBOX / NFS4ERR_DELAY so the client retries.
/// </summary>
public sealed class StorageBusyException(string message, Exception? inner = null) : IOException(message, inner);
