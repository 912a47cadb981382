using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>The Grafana dashboard (grafana/dashboards/dittofs.json): its PromQL expressions and the metric names they use.</summary>
public static partial class Dashboard
{
    private static readonly HashSet<string> s_keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "le"];

    public static string RepositoryRoot
    {
        get
        {
            for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "DittoFs.sln"))) return dir;
            }
            throw new InvalidOperationException("DittoFs.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string FilePath => Path.Combine(RepositoryRoot, "grafana", "dashboards", "dittofs.json");

    /// <summary>Every target expression of every panel.</summary>
    public static IReadOnlyList<string> Expressions()
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(FilePath))!;
        return root["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]?.AsArray() ?? [])
            .Select(t => t!["expr"]!.GetValue<string>())
            .ToList();
    }

    /// <summary>A metric only a server with PostgreSQL metadata exports (the store's own counters, Npgsql's pool).</summary>
    public static bool NeedsPostgres(string name) =>
        name.StartsWith("dittofs_postgres_", StringComparison.Ordinal) || name.StartsWith("db_client_", StringComparison.Ordinal);

    /// <summary>The metric names a PromQL expression selects (not functions, labels, keywords or numbers).</summary>
    public static IReadOnlySet<string> MetricNames(string expression)
    {
        string s = Strings().Replace(expression, " ");
        s = Matchers().Replace(s, " ");          // {label="..."}
        s = Ranges().Replace(s, " ");            // [5m], [$__rate_interval]
        s = Groupings().Replace(s, " ");         // by (le, op), without (...), on (...)
        s = Numbers().Replace(s, " ");           // 0.99, 1e-9
        var names = new HashSet<string>();
        foreach (Match m in Identifiers().Matches(s))
        {
            string rest = s[(m.Index + m.Length)..].TrimStart();
            if (rest.StartsWith('(')) continue; // a function
            if (s_keywords.Contains(m.Value.ToLowerInvariant())) continue;
            names.Add(m.Value);
        }
        return names;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![A-Za-z_:])\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifiers();
}
