using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Reflection;

namespace DittoFs.Server.Options;

/// <summary>
/// Checks the "DittoFs" section before anything starts, so a mistake is one line naming the key
/// and the value (<c>DittoFs:NfsPort=70000: must be 1-65535</c>), never a stack trace or a silently
/// dropped export. The binder alone cannot: it skips list elements it fails to convert
/// (<c>Exports:0:Squash=Bogus</c> dropped the export), ignores unknown keys, and
/// <c>ValidateDataAnnotations</c> does not look into nested objects.
/// </summary>
public static class ConfigurationValidator
{
    public sealed record Report(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, DittoFsOptions? Options)
    {
        public bool IsValid => Errors.Count == 0;
    }

    /// <summary>Checks the section's keys and values, binds it, and checks the bound options.</summary>
    public static Report Validate(IConfiguration configuration)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        IConfigurationSection section = configuration.GetSection(DittoFsOptions.Section);
        WalkKeys(section, typeof(DittoFsOptions), errors, warnings);
        if (errors.Count > 0) return new Report(errors, warnings, null);

        DittoFsOptions options;
        try
        {
            options = section.Get<DittoFsOptions>() ?? new DittoFsOptions();
        }
        catch (InvalidOperationException e)
        {
            // The walk above converts every value the same way; this is a safety net.
            errors.Add($"{DittoFsOptions.Section}: {e.Message}");
            return new Report(errors, warnings, null);
        }
        ValidateObject(options, DittoFsOptions.Section, errors);
        if (errors.Count == 0) ValidateMeaning(options, errors);
        return new Report(errors, warnings, errors.Count == 0 ? options : null);
    }

    /// <summary>Every key must name a property, and every value must convert to its type.</summary>
    private static void WalkKeys(IConfigurationSection section, Type type, List<string> errors, List<string> warnings)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            PropertyInfo? property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                string? near = Nearest(child.Key, type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name));
                warnings.Add($"unknown setting {child.Path} (ignored){(near is null ? "" : $"; did you mean {section.Path}:{near}?")}");
                continue;
            }
            CheckValue(child, property.PropertyType, errors, warnings);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> errors, List<string> warnings)
    {
        Type? element = ElementType(type);
        if (element is not null)
        {
            foreach (IConfigurationSection item in section.GetChildren())
            {
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{item.Path}: a list takes items :0, :1, ... (not :{item.Key})");
                    continue;
                }
                CheckValue(item, element, errors, warnings);
            }
            return;
        }
        if (IsScalar(type))
        {
            if (section.Value is null)
            {
                if (section.GetChildren().Any()) errors.Add($"{section.Path}: takes one value, not a section");
                return;
            }
            if (!TryConvert(section.Value, type, out _)) errors.Add($"{section.Path}={section.Value}: {Expected(type)}");
            return;
        }
        if (!string.IsNullOrEmpty(section.Value))
        {
            errors.Add($"{section.Path}={section.Value}: is a section (set {section.Path}:<key> instead)");
            return;
        }
        WalkKeys(section, type, errors, warnings);
    }

    private static Type? ElementType(Type type) =>
        type != typeof(string) && type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0] : null;

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || Nullable.GetUnderlyingType(type) is not null;

    private static bool TryConvert(string value, Type type, out object? result)
    {
        result = null;
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum)
        {
            // Names only: Enum.Parse would also take "7" and give an undefined member.
            if (Enum.TryParse(target, value, ignoreCase: true, out result) && Enum.IsDefined(target, result!) && !char.IsAsciiDigit(value.TrimStart('-')[0])) return true;
            result = null;
            return false;
        }
        try
        {
            result = TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Expected(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum) return $"must be one of {string.Join(", ", Enum.GetNames(target))}";
        if (target == typeof(bool)) return "must be true or false";
        if (target == typeof(double) || target == typeof(float) || target == typeof(decimal)) return "must be a number";
        return $"must be a whole number ({target.Name})";
    }

    /// <summary>DataAnnotations on every object, nested ones and list items included, each error as key=value: message.</summary>
    private static void ValidateObject(object instance, string path, List<string> errors)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        foreach (ValidationResult result in results)
        {
            string member = result.MemberNames.FirstOrDefault() ?? "";
            PropertyInfo? property = member.Length == 0 ? null : instance.GetType().GetProperty(member);
            string key = member.Length == 0 ? path : $"{path}:{member}";
            string value = property is null ? "" : "=" + Format(property.GetValue(instance));
            errors.Add($"{key}{value}: {Message(property, result)}");
        }
        foreach (PropertyInfo property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (IsScalar(property.PropertyType) || property.GetIndexParameters().Length > 0) continue;
            object? value = property.GetValue(instance);
            if (value is null) continue;
            if (ElementType(property.PropertyType) is { } element && !IsScalar(element))
            {
                int i = 0;
                foreach (object? item in (IEnumerable)value)
                {
                    if (item is not null) ValidateObject(item, $"{path}:{property.Name}:{i}", errors);
                    i++;
                }
            }
            else if (ElementType(property.PropertyType) is null)
            {
                ValidateObject(value, $"{path}:{property.Name}", errors);
            }
        }
    }

    /// <summary>"must be 1-65535" for a range, else the attribute's own message.</summary>
    private static string Message(PropertyInfo? property, ValidationResult result)
    {
        if (property?.GetCustomAttribute<RangeAttribute>() is { } range && result.ErrorMessage?.Contains("must be between", StringComparison.Ordinal) == true)
        {
            return $"must be {range.Minimum}-{Format(range.Maximum)}";
        }
        return result.ErrorMessage ?? "invalid";
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        long l when l == long.MaxValue => "max",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>MetadataStore = Postgres: a connection string Npgsql can parse. Messages never quote it (a password).</summary>
    private static void ValidatePostgres(DittoFsOptions o, List<string> errors)
    {
        const string S = DittoFsOptions.Section + ":Postgres";
        PostgresOptions p = o.Postgres;
        if (string.IsNullOrWhiteSpace(p.ConnectionString) && !string.IsNullOrWhiteSpace(p.ConnectionStringFile) && !File.Exists(p.ConnectionStringFile))
        {
            errors.Add($"{S}:ConnectionStringFile={p.ConnectionStringFile}: no such file");
            return;
        }
        string connectionString = p.ResolveConnectionString();
        if (connectionString.Length == 0)
        {
            errors.Add($"{S}:ConnectionString=: required with MetadataStore=Postgres (or {S}:ConnectionStringFile)");
            return;
        }
        try
        {
            var parsed = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(parsed.Host)) errors.Add($"{S}:ConnectionString: names no Host");
        }
        catch (ArgumentException)
        {
            errors.Add($"{S}:ConnectionString: not a valid connection string (Host=…;Database=…;Username=…;Password=…)");
        }
        if (o.Metadata.Ship == true) errors.Add($"{DittoFsOptions.Section}:Metadata:Ship=true: ships the Faster store; the Postgres database has its own replication");
        if (o.Metadata.RestoreFromBucket) errors.Add($"{DittoFsOptions.Section}:Metadata:RestoreFromBucket=true: restores the Faster store, not Postgres");
    }

    /// <summary>Rules between settings, and values whose shape a type cannot say (addresses, CIDRs, paths).</summary>
    private static void ValidateMeaning(DittoFsOptions o, List<string> errors)
    {
        const string S = DittoFsOptions.Section;
        if (!IPAddress.TryParse(o.ListenAddress, out _)) errors.Add($"{S}:ListenAddress={o.ListenAddress}: not an IP address (0.0.0.0 for every interface)");
        string[] metadataStores = ["Faster", "Postgres", "Memory"];
        string[] payloadStores = ["Local", "S3", "Memory"];
        if (!metadataStores.Contains(o.MetadataStore, StringComparer.OrdinalIgnoreCase)) errors.Add($"{S}:MetadataStore={o.MetadataStore}: must be one of {string.Join(", ", metadataStores)}");
        if (!payloadStores.Contains(o.PayloadStore, StringComparer.OrdinalIgnoreCase)) errors.Add($"{S}:PayloadStore={o.PayloadStore}: must be one of {string.Join(", ", payloadStores)}");
        bool s3 = o.PayloadStore.Equals("S3", StringComparison.OrdinalIgnoreCase);
        if ((s3 || o.Metadata.Ship == true || o.Metadata.RestoreFromBucket) && string.IsNullOrWhiteSpace(o.S3.Bucket))
        {
            string why = s3 ? "PayloadStore=S3" : o.Metadata.Ship == true ? "Metadata:Ship=true" : "Metadata:RestoreFromBucket=true";
            errors.Add($"{S}:S3:Bucket=: required with {why}");
        }
        if (!string.IsNullOrEmpty(o.S3.Endpoint) && !(Uri.TryCreate(o.S3.Endpoint, UriKind.Absolute, out Uri? endpoint) && endpoint.Scheme is "http" or "https"))
        {
            errors.Add($"{S}:S3:Endpoint={o.S3.Endpoint}: not an http(s) URL (e.g. https://s3.fr-par.scw.cloud)");
        }
        foreach ((string name, string file) in new[] { ("AccessKeyFile", o.S3.AccessKeyFile), ("SecretKeyFile", o.S3.SecretKeyFile) })
        {
            if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file)) errors.Add($"{S}:S3:{name}={file}: no such file");
        }
        if (o.MetadataStore.Equals("Postgres", StringComparison.OrdinalIgnoreCase)) ValidatePostgres(o, errors);
        if (!System.Numerics.BitOperations.IsPow2(o.Cache.BlockSize)) errors.Add($"{S}:Cache:BlockSize={o.Cache.BlockSize}: must be a power of two");
        if (!o.Durability.Equals("Local", StringComparison.OrdinalIgnoreCase) && !s3) errors.Add($"{S}:Durability={o.Durability}: Bucket needs PayloadStore=S3");

        var ports = new Dictionary<int, string>();
        foreach ((string name, int port) in new[] { ("NfsPort", o.NfsPort), ("MountPort", o.MountPort), ("PortmapPort", o.PortmapPort), ("HttpPort", o.HttpPort) })
        {
            if (port == 0) continue;
            // MOUNT and the portmapper may share the NFS port (every RPC port serves every program); HTTP may not.
            if (ports.TryGetValue(port, out string? other) && (name == "HttpPort" || other == "HttpPort")) errors.Add($"{S}:{name}={port}: already used by {S}:{other}");
            ports.TryAdd(port, name);
        }

        ValidateExports(o.Exports, i => $"{S}:Exports:{i}", errors);
    }

    /// <summary>
    /// The export rules, shared by start-up and the admin API's runtime changes (which name each export by
    /// <paramref name="keyOf"/>): paths absolute and exported once, names unique, client networks CIDRs.
    /// </summary>
    public static void ValidateExports(IReadOnlyList<ExportOptions> exports, Func<int, string> keyOf, List<string> errors)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < exports.Count; i++)
        {
            ExportOptions e = exports[i];
            string key = keyOf(i);
            string normalized = e.Path.TrimEnd('/').Length == 0 ? "/" : e.Path.TrimEnd('/');
            bool twice = false;
            if (!e.Path.StartsWith('/')) errors.Add($"{key}:Path={e.Path}: must start with /");
            else if (twice = !paths.Add(normalized)) errors.Add($"{key}:Path={e.Path}: exported twice");
            if (e.Name is { } name && (name.Length == 0 || name.Trim() != name || name.Any(char.IsControl))) errors.Add($"{key}:Name={name}: must be non-empty, without control characters or surrounding spaces");
            // An unnamed export is named by its path: a second one at that path was reported just above.
            else if (!names.Add(e.Name ?? normalized) && !(twice && e.Name is null)) errors.Add($"{key}:Name={e.Name ?? normalized}: another export has this name");
            for (int j = 0; j < e.AllowedClients.Count; j++)
            {
                if (!IPNetwork.TryParse(e.AllowedClients[j], out _))
                {
                    errors.Add($"{key}:AllowedClients:{j}={e.AllowedClients[j]}: not a CIDR network (e.g. 10.0.0.0/8, 192.0.2.7/32)");
                }
            }
        }
    }

    /// <summary>
    /// One export's settings from a section shaped like <c>DittoFs:Exports:N</c> (the admin API's JSON body),
    /// checked as start-up checks them: every key a setting (unknown ones are errors here, not warnings: an
    /// operator is waiting for the answer), every value of its type, the DataAnnotations. The section's values
    /// are laid over <paramref name="baseline"/> (an update); a list given replaces the baseline's list.
    /// </summary>
    public static ExportOptions? ReadExport(IConfigurationSection section, ExportOptions? baseline, List<string> errors)
    {
        var warnings = new List<string>();
        int before = errors.Count;
        WalkKeys(section, typeof(ExportOptions), errors, warnings);
        errors.AddRange(warnings.Select(w => w.Replace(" (ignored)", "", StringComparison.Ordinal)));
        if (errors.Count > before) return null;
        ExportOptions options = baseline is null ? new ExportOptions() : new ExportOptions
        {
            Name = baseline.Name,
            Path = baseline.Path,
            ReadOnly = baseline.ReadOnly,
            AllowedClients = section.GetChildren().Any(c => c.Key.Equals(nameof(ExportOptions.AllowedClients), StringComparison.OrdinalIgnoreCase)) ? [] : [.. baseline.AllowedClients],
            Squash = baseline.Squash,
            AnonymousUid = baseline.AnonymousUid,
            AnonymousGid = baseline.AnonymousGid,
            AllowAuthNone = baseline.AllowAuthNone,
        };
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            errors.Add(e.Message);
            return null;
        }
        ValidateObject(options, section.Path, errors);
        return errors.Count > before ? null : options;
    }

    /// <summary>The data directory can be created and written (checked only when the server is about to use it).</summary>
    public static string? CheckDataDirectory(DittoFsOptions o)
    {
        string directory = Path.GetFullPath(o.DataDirectory);
        try
        {
            Directory.CreateDirectory(directory);
            string probe = Path.Combine(directory, $".write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{DittoFsOptions.Section}:DataDirectory={o.DataDirectory}: not writable ({e.Message})";
        }
    }

    /// <summary>
    /// Each configured port can be bound now (probed and released at once), so a port another process
    /// holds is one line naming the setting, not Kestrel's start-up failure with its stack trace.
    /// </summary>
    public static string? CheckPorts(DittoFsOptions o)
    {
        IPAddress address = IPAddress.Parse(o.ListenAddress);
        foreach ((string name, int port) in new[] { ("NfsPort", o.NfsPort), ("MountPort", o.MountPort), ("PortmapPort", o.PortmapPort), ("HttpPort", o.HttpPort) })
        {
            if (port == 0) continue;
            var probe = new System.Net.Sockets.TcpListener(address, port);
            try
            {
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException e)
            {
                return $"{DittoFsOptions.Section}:{name}={port}: cannot listen on {o.ListenAddress}:{port} ({e.Message})";
            }
            finally
            {
                probe.Dispose();
            }
        }
        return null;
    }

    /// <summary>The closest name within two edits, for "did you mean".</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (string candidate in candidates)
        {
            int d = Distance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        return best;
    }

    /// <summary>Optimal string alignment distance (a swap of two letters counts one edit: NfsProt → NfsPort).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
