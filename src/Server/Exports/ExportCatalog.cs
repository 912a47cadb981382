using DittoFs.Server.Options;
using DittoFs.Storage;

namespace DittoFs.Server.Exports;

/// <summary>The outcome of a runtime change: the HTTP status the admin API answers, a one-line error, the export.</summary>
internal readonly record struct ExportChange(int Status, string? Error, Export? Export)
{
    public static ExportChange Fail(int status, string error) => new(status, error, null);
}

/// <summary>
/// The exports served now (<see cref="Current"/>, read on every request without a lock) and the runtime
/// changes to them. What is served = the configured exports (DittoFs:Exports), minus those whose name
/// exports.json lists as removed or holds an entry for, plus exports.json's entries
/// (<see cref="RuntimeExportsFile"/>): the runtime file wins per export name.
/// <para>
/// Export ids are volume ids and are never reused: a removed export's volume name is retired, and a later
/// export at the same path gets a fresh volume ("/x#2"), so the removed export's handles answer STALE
/// instead of reaching the new export's files. Changes are serialized and written to exports.json before
/// the new table is published.
/// </para>
/// </summary>
internal sealed class ExportCatalog
{
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly IFileSystem _fileSystem;
    private readonly IReadOnlyList<ExportOptions> _configured;
    private readonly string _path;
    private RuntimeExportsFile _file;
    private ExportTable _current = ExportTable.Empty;

    private ExportCatalog(IFileSystem fileSystem, IReadOnlyList<ExportOptions> configured, string path, RuntimeExportsFile file)
    {
        _fileSystem = fileSystem;
        _configured = configured;
        _path = path;
        _file = file;
    }

    /// <summary>The table of this moment; a request reads it once and keeps it.</summary>
    public ExportTable Current => Volatile.Read(ref _current);

    public static async Task<ExportCatalog> OpenAsync(IFileSystem fileSystem, IReadOnlyList<ExportOptions> configured, string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, RuntimeExportsFile.FileName);
        var catalog = new ExportCatalog(fileSystem, configured, path, RuntimeExportsFile.Read(path));
        // The configuration may have changed since exports.json was written (a new export at a path added at run time).
        List<ExportOptions> served = catalog.Served(catalog._file).Select(s => s.Options).ToList();
        var errors = new List<string>();
        ConfigurationValidator.ValidateExports(served, i => $"export {Name(served[i])} (configuration and {path})", errors);
        if (errors.Count > 0) throw new StorageRefusedException(errors[0] + $": change DittoFs:Exports, or edit or remove {path}");
        (IReadOnlyList<Export>? exports, string? error) = await catalog.ResolveAsync(catalog._file, catalog.Current);
        if (exports is null) throw new StorageRefusedException(error!);
        Volatile.Write(ref catalog._current, new ExportTable(exports));
        return catalog;
    }

    /// <summary>POST /admin/exports: a new export (its name, default its path, and its path unused).</summary>
    public Task<ExportChange> AddAsync(IConfigurationSection body)
    {
        string? name = null;
        return ChangeAsync(file =>
        {
            var errors = new List<string>();
            ExportOptions? options = ConfigurationValidator.ReadExport(body, null, errors);
            if (options is not null) ConfigurationValidator.ValidateExports([options], _ => body.Path, errors);
            if (options is null || errors.Count > 0) return Fail(errors);
            string path = ExportTable.NormalizePath(options.Path);
            name = Name(options);
            if (Current.FindByNameOrPath(name) is not null || Current.FindByPath(path) is not null) return ExportChange.Fail(409, $"export {name} ({path}) exists: update or remove it");
            // The path's own volume unless an export removed at run time served it (its handles must stay STALE).
            string volume = path;
            while (file.Retired.Contains(volume)) volume = $"{path}#{++file.Incarnation}";
            file.Exports.Add(new RuntimeExportsFile.RuntimeExport { Options = options, Volume = volume });
            return null;
        }, () => name!, created: true);
    }

    /// <summary>PUT /admin/exports/{name or path}: the body's settings over the export's; the name stays, the volume (and handles) too.</summary>
    public Task<ExportChange> UpdateAsync(string key, IConfigurationSection body)
    {
        string? name = null;
        return ChangeAsync(file =>
        {
            Export? export = Current.FindByNameOrPath(key);
            if (export is null) return ExportChange.Fail(404, $"no export {key}");
            name = export.Name;
            var errors = new List<string>();
            ExportOptions? options = ConfigurationValidator.ReadExport(body, export.Options, errors);
            if (options is null) return Fail(errors);
            if (Name(options) != export.Name) return ExportChange.Fail(400, $"{body.Path}:Name={options.Name ?? options.Path}: an export keeps its name (remove it and add another)");
            RuntimeExportsFile.RuntimeExport? entry = file.Exports.Find(e => Name(e.Options) == export.Name);
            if (entry is null)
            {
                // A configured export changed at run time: the entry replaces it and keeps its volume.
                file.Exports.Add(new RuntimeExportsFile.RuntimeExport { Options = options, Volume = ExportTable.NormalizePath(ConfiguredByName(export.Name)!.Path) });
            }
            else
            {
                entry.Options = options;
            }
            return null;
        }, () => name!, created: false);
    }

    /// <summary>DELETE /admin/exports/{name or path}: gone from MOUNT, the pseudo-fs and the handle table; its volume retired.</summary>
    public async Task<ExportChange> RemoveAsync(string key)
    {
        Export? removed = null;
        ExportChange change = await ChangeAsync(file =>
        {
            removed = Current.FindByNameOrPath(key);
            if (removed is null) return ExportChange.Fail(404, $"no export {key}");
            RuntimeExportsFile.RuntimeExport? entry = file.Exports.Find(e => Name(e.Options) == removed.Name);
            file.Exports.RemoveAll(e => Name(e.Options) == removed.Name);
            if (ConfiguredByName(removed.Name) is not null && !file.Removed.Contains(removed.Name)) file.Removed.Add(removed.Name);
            string volume = entry?.Volume ?? removed.Path;
            if (!file.Retired.Contains(volume)) file.Retired.Add(volume);
            return null;
        }, () => removed!.Name, created: false);
        return change.Status == 200 ? change with { Export = removed } : change;
    }

    /// <summary>
    /// Applies <paramref name="edit"/> to a copy of exports.json, checks the result as start-up would, opens
    /// new volumes, writes the file, then publishes the new table. One change at a time.
    /// </summary>
    private async Task<ExportChange> ChangeAsync(Func<RuntimeExportsFile, ExportChange?> edit, Func<string> name, bool created)
    {
        await _changes.WaitAsync();
        try
        {
            RuntimeExportsFile file = _file.Copy();
            if (edit(file) is { } refused) return refused;
            List<ExportOptions> served = Served(file).Select(s => s.Options).ToList();
            var errors = new List<string>();
            ConfigurationValidator.ValidateExports(served, i => $"export {Name(served[i])}", errors);
            if (errors.Count > 0) return ExportChange.Fail(400, errors[0]);
            (IReadOnlyList<Export>? exports, string? error) = await ResolveAsync(file, Current);
            if (exports is null) return ExportChange.Fail(500, error!);
            try
            {
                file.Write(_path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ExportChange.Fail(500, $"cannot write {_path}: {e.Message}");
            }
            _file = file;
            var table = new ExportTable(exports);
            Volatile.Write(ref _current, table);
            string changed = name();
            return new ExportChange(created ? 201 : 200, null, table.FindByNameOrPath(changed));
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>The volume names served with this configuration and the data directory's exports.json (for the offline <c>dittofs check</c>).</summary>
    public static IReadOnlyList<string> ServedVolumes(IReadOnlyList<ExportOptions> configured, string dataDirectory) =>
        [.. Served(configured, RuntimeExportsFile.Read(Path.Combine(dataDirectory, RuntimeExportsFile.FileName))).Select(s => s.Volume)];

    private List<(ExportOptions Options, string Volume)> Served(RuntimeExportsFile file) => Served(_configured, file);

    /// <summary>The configured exports the file leaves in place, then the file's own: each with the volume it serves.</summary>
    private static List<(ExportOptions Options, string Volume)> Served(IReadOnlyList<ExportOptions> configured, RuntimeExportsFile file)
    {
        var overridden = new HashSet<string>(file.Removed, StringComparer.Ordinal);
        foreach (RuntimeExportsFile.RuntimeExport e in file.Exports) overridden.Add(Name(e.Options));
        var served = new List<(ExportOptions, string)>();
        foreach (ExportOptions options in configured)
        {
            if (!overridden.Contains(Name(options))) served.Add((options, ExportTable.NormalizePath(options.Path)));
        }
        foreach (RuntimeExportsFile.RuntimeExport e in file.Exports) served.Add((e.Options, e.Volume));
        return served;
    }

    /// <summary>Each served export with its volume's root (opening, or creating, the volume); unchanged exports keep their Export.</summary>
    private async Task<(IReadOnlyList<Export>?, string?)> ResolveAsync(RuntimeExportsFile file, ExportTable previous)
    {
        var exports = new List<Export>();
        foreach ((ExportOptions options, string volume) in Served(file))
        {
            FsResult<FileId> root = await _fileSystem.GetVolumeRootAsync(volume);
            if (!root.Ok) return (null, $"export {Name(options)}: cannot open its volume {volume} ({root.Status})");
            Export? same = previous.FindByVolume(root.Value.Volume);
            exports.Add(same is not null && ReferenceEquals(same.Options, options) ? same : new Export(options, root.Value));
        }
        return (exports, null);
    }

    private ExportOptions? ConfiguredByName(string name) => _configured.FirstOrDefault(o => Name(o) == name);

    private static string Name(ExportOptions options) => options.Name ?? ExportTable.NormalizePath(options.Path);

    private static ExportChange Fail(List<string> errors) => ExportChange.Fail(400, errors[0]);
}
