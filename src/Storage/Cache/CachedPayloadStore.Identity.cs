using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Cache;

// Which filesystem the bucket/prefix holds, checked before anything is uploaded or deleted.
public sealed partial class CachedPayloadStore
{
    private readonly Task<Guid> _identity;

    /// <summary>The filesystem id the metadata and the bucket share; null until the bucket has answered.</summary>
    public Guid? FilesystemId => _identity.IsCompletedSuccessfully ? _identity.Result : null;

    /// <summary>Why this store refuses to upload or delete (shown by /readyz); null if it does not.</summary>
    public string? Refusal { get; private set; }

    /// <summary>
    /// Retries while the bucket does not answer (uploads wait meanwhile; writes land in the cache);
    /// a refusal (another filesystem's bucket) is final: logged, kept for /readyz, nothing deleted.
    /// </summary>
    private async Task<Guid> VerifyIdentityAsync(IMetadataStore metadata, bool legacy, TimeSpan maxDelay, CancellationToken cancellationToken)
    {
        await Task.Yield();
        TimeSpan delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                (Guid id, string what) = await BucketIdentity.VerifyAsync(_objects, metadata, legacy, cancellationToken).ConfigureAwait(false);
                if (_logger is not null) CacheLog.FilesystemIdentity(_logger, id, what);
                _cache.EnableUploads();
                return id;
            }
            catch (StorageRefusedException e)
            {
                Refusal = e.Message;
                if (_logger is not null) CacheLog.GarbageRefused(_logger, e.Message);
                throw;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < maxDelay ? delay * 2 : maxDelay;
            }
        }
    }

    /// <summary>
    /// Deletion is decided by this metadata's block map: refuse unless the bucket/prefix carries
    /// this filesystem's id now (another server or a restore may have taken it over meanwhile).
    /// </summary>
    private async Task EnsureSameFilesystemAsync(CancellationToken cancellationToken)
    {
        Guid? mine = FilesystemId;
        Guid? bucket = mine is null ? null : await BucketIdentity.ReadAsync(_objects, cancellationToken).ConfigureAwait(false);
        if (mine is not null && bucket == mine) return;
        string reason = mine is null
            ? Refusal ?? "the bucket has not confirmed yet which filesystem it holds: nothing deleted"
            : $"the bucket/prefix holds filesystem {(bucket?.ToString() ?? "(no id)")}, not this server's {mine}: nothing deleted";
        Refusal = reason;
        if (_logger is not null) CacheLog.GarbageRefused(_logger, reason);
        throw new StorageRefusedException("garbage collection refused: " + reason);
    }
}
