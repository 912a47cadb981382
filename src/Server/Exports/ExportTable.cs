using System.Collections.Frozen;

namespace DittoFs.Server.Exports;

/// <summary>
/// The exports served at one moment: an immutable snapshot. A runtime change builds a new table and
/// <see cref="ExportCatalog"/> swaps it in whole, so a request reads one consistent table without a lock,
/// and the next request sees the change.
/// </summary>
internal sealed class ExportTable
{
    public static readonly ExportTable Empty = new([]);

    private readonly FrozenDictionary<string, Export> _byPath;
    private readonly FrozenDictionary<uint, Export> _byVolume;

    public ExportTable(IEnumerable<Export> exports)
    {
        var byPath = new Dictionary<string, Export>(StringComparer.Ordinal);
        var byVolume = new Dictionary<uint, Export>();
        foreach (Export export in exports)
        {
            if (!byPath.TryAdd(export.Path, export)) throw new InvalidOperationException($"export {export.Path} is configured twice");
            if (!byVolume.TryAdd(export.Volume, export)) throw new InvalidOperationException($"exports {byVolume[export.Volume].Path} and {export.Path} share volume {export.Volume}");
        }
        _byPath = byPath.ToFrozenDictionary(StringComparer.Ordinal);
        _byVolume = byVolume.ToFrozenDictionary();
        All = [.. byPath.Values.OrderBy(e => e.Path, StringComparer.Ordinal)];
    }

    /// <summary>Ordered by path.</summary>
    public IReadOnlyList<Export> All { get; }

    public Export? FindByPath(string path) => _byPath.GetValueOrDefault(NormalizePath(path));

    public Export? FindByVolume(uint volume) => _byVolume.GetValueOrDefault(volume);

    /// <summary>By name first, then by path, a leading slash optional (the admin API and the CLI accept either).</summary>
    public Export? FindByNameOrPath(string key)
    {
        foreach (Export export in All)
        {
            if (export.Name == key) return export;
        }
        return FindByPath(key);
    }

    /// <summary>"/export/" and "/export" are the same export; "" is "/".</summary>
    public static string NormalizePath(string path)
    {
        string trimmed = path.Trim().TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed.StartsWith('/') ? trimmed : "/" + trimmed;
    }
}
