using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using DittoFs.Server.Options;

namespace DittoFs.Server.Exports;

/// <summary>
/// What the admin API changed, in <c>&lt;DataDirectory&gt;/exports.json</c>; laid over the configured
/// exports at every start (see <see cref="ExportCatalog"/>):
/// <code>
/// { "version": 1,
///   "exports": [ { "options": { "name": ..., "path": "/x", ... }, "volume": "/x" } ],  added or updated: win over the configured export of the same name
///   "removed": [ "/old" ],     configured exports removed at run time: stay removed
///   "retired": [ "/old" ],     volume names once served then removed: never served again (their handles stay STALE)
///   "incarnation": 1 }         counter for fresh volume names ("/old#1") when a path comes back
/// </code>
/// Written whole and atomically (temp file, fsync, rename, fsync of the directory): a crash leaves the old or the new file.
/// </summary>
internal sealed partial class RuntimeExportsFile
{
    public const string FileName = "exports.json";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; set; } = 1;

    public List<RuntimeExport> Exports { get; set; } = [];

    public List<string> Removed { get; set; } = [];

    public List<string> Retired { get; set; } = [];

    public uint Incarnation { get; set; }

    public sealed class RuntimeExport
    {
        public required ExportOptions Options { get; set; }

        /// <summary>The volume (in the metadata store) this export serves: its handles carry that volume's id.</summary>
        public required string Volume { get; set; }
    }

    /// <summary>The file, or an empty one when there is none; a file that does not parse refuses the start (its changes would be lost).</summary>
    public static RuntimeExportsFile Read(string path)
    {
        if (!File.Exists(path)) return new RuntimeExportsFile();
        try
        {
            RuntimeExportsFile file = JsonSerializer.Deserialize<RuntimeExportsFile>(File.ReadAllBytes(path), s_json) ?? new RuntimeExportsFile();
            if (file.Version != 1) throw new Storage.StorageRefusedException($"{path}: version {file.Version}, this server reads version 1");
            return file;
        }
        catch (JsonException e)
        {
            throw new Storage.StorageRefusedException($"{path}: not a runtime exports file ({e.Message}); fix or remove it (removing it brings back the configured exports only)");
        }
    }

    public RuntimeExportsFile Copy() => JsonSerializer.Deserialize<RuntimeExportsFile>(JsonSerializer.SerializeToUtf8Bytes(this, s_json), s_json)!;

    public void Write(string path)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, this, s_json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>
    /// The rename is durable only once the directory is: fsync it through libc (.NET refuses to open a
    /// directory as a file handle; Storage's FileSync does the same for its block directories).
    /// </summary>
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"open({directory}) for fsync failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync({directory}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
