using DittoFs.Server.Options;
using DittoFs.Storage;

namespace DittoFs.Server.Exports;

/// <summary>The configured exports, each a volume of the filesystem; built once at start-up.</summary>
internal sealed class ExportTable
{
    private readonly Dictionary<string, Export> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, Export> _byVolume = new();

    public IReadOnlyCollection<Export> All => _byPath.Values;

    public static async Task<ExportTable> CreateAsync(IFileSystem fileSystem, IEnumerable<ExportOptions> exports)
    {
        var table = new ExportTable();
        foreach (ExportOptions options in exports)
        {
            string path = NormalizePath(options.Path);
            FsResult<FileId> root = await fileSystem.GetVolumeRootAsync(path);
            if (!root.Ok) throw new InvalidOperationException($"export {path}: cannot open its volume ({root.Status})");
            var export = new Export(options, root.Value);
            if (!table._byPath.TryAdd(path, export)) throw new InvalidOperationException($"export {path} is configured twice");
            table._byVolume[export.Volume] = export;
        }
        return table;
    }

    public Export? FindByPath(string path) => _byPath.GetValueOrDefault(NormalizePath(path));

    public Export? FindByVolume(uint volume) => _byVolume.GetValueOrDefault(volume);

    /// <summary>"/export/" and "/export" are the same export; "" is "/".</summary>
    public static string NormalizePath(string path)
    {
        string trimmed = path.Trim().TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed.StartsWith('/') ? trimmed : "/" + trimmed;
    }
}
