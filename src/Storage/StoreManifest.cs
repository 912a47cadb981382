using System.Text.Json;

namespace DittoFs.Storage;

/// <summary>
/// <c>&lt;DataDirectory&gt;/store.json</c>: what the data directory was made with (payload store type,
/// block size, filesystem id, bucket/prefix). Block numbers in the metadata mean byte ranges of
/// that size, so starting with another block size or store type would serve wrong bytes while
/// saying "ready": <see cref="Verify"/> refuses it instead, and <c>dittofs check</c> reads the store
/// type from here rather than guessing from a configuration that may not be the server's.
/// </summary>
public sealed record StoreManifest(string PayloadStore, int BlockSize, Guid? FilesystemId = null, string? Bucket = null, string? Prefix = null)
{
    public const string FileName = "store.json";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The recorded manifest, or for a directory from before manifests the store type its layout shows (block size 0: unknown); null for a new directory.</summary>
    public static StoreManifest? Read(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            try
            {
                return JsonSerializer.Deserialize<StoreManifest>(File.ReadAllText(path), s_json)
                    ?? throw new StorageRefusedException($"{path} is empty");
            }
            catch (JsonException e)
            {
                throw new StorageRefusedException($"{path} is not a store manifest ({e.Message}): fix or remove it");
            }
        }
        if (!Directory.Exists(Path.Combine(dataDirectory, "metadata"))) return null;
        if (Directory.Exists(Path.Combine(dataDirectory, "cache"))) return new StoreManifest("S3", 0);
        if (Directory.Exists(Path.Combine(dataDirectory, "blocks"))) return new StoreManifest("Local", 0);
        return null;
    }

    /// <summary>Refuses a configuration that does not fit what the directory holds (the message names the setting to change).</summary>
    public void Verify(string dataDirectory, StoreManifest configured)
    {
        if (!PayloadStore.Equals(configured.PayloadStore, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageRefusedException($"{dataDirectory} holds payload store {PayloadStore}, but DittoFs:PayloadStore={configured.PayloadStore}: set DittoFs:PayloadStore={PayloadStore}, or use another data directory");
        }
        if (BlockSize != 0 && configured.BlockSize != BlockSize)
        {
            throw new StorageRefusedException($"{dataDirectory} was made with block size {BlockSize}, but DittoFs:Cache:BlockSize={configured.BlockSize}: set DittoFs:Cache:BlockSize={BlockSize} (a new block size needs a new data directory and bucket/prefix)");
        }
        if (FilesystemId is { } mine && configured.FilesystemId is { } theirs && mine != theirs)
        {
            throw new StorageRefusedException($"{dataDirectory} recorded filesystem {mine}, but its metadata is filesystem {theirs}: the metadata was replaced; restore the right one, or remove {FileName} if that was intended");
        }
    }

    /// <summary>Writes the manifest (temporary file, fsync, rename), so a crash leaves the old one or the new one.</summary>
    public void Write(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, FileName);
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, this, s_json);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
