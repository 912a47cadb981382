using System.Globalization;
using System.Net.Http;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>One sample of the Prometheus text format: name, labels, value.</summary>
public sealed record PromSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A parsed /metrics scrape, with sums over label filters.</summary>
public sealed class PrometheusText
{
    public PrometheusText(string text)
    {
        var samples = new List<PromSample>();
        var types = new Dictionary<string, string>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                types[parts[2]] = parts[3];
                continue;
            }
            if (line.Length == 0 || line[0] == '#') continue;
            int brace = line.IndexOf('{');
            int space = line.LastIndexOf(' ');
            string name;
            var labels = new Dictionary<string, string>();
            if (brace >= 0 && brace < space)
            {
                name = line[..brace];
                int close = line.LastIndexOf('}');
                ParseLabels(line[(brace + 1)..close], labels);
            }
            else
            {
                name = line[..line.IndexOf(' ')];
            }
            string valueText = line[(line.LastIndexOf('}') > 0 ? line.LastIndexOf('}') + 1 : name.Length)..].Trim().Split(' ')[0];
            double value = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(valueText, CultureInfo.InvariantCulture),
            };
            samples.Add(new PromSample(name, labels, value));
        }
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<PromSample> Samples { get; }

    /// <summary>Metric family name → type (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IEnumerable<string> SeriesNames => Samples.Select(s => s.Name).Distinct();

    /// <summary>Sum of the samples of <paramref name="name"/> whose labels include every given one ("k=v").</summary>
    public double Sum(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToArray();
        return Samples
            .Where(s => s.Name == name && wanted.All(w => s.Labels.TryGetValue(w[0], out string? v) && v == w[1]))
            .Sum(s => s.Value);
    }

    public bool Has(string name) => Samples.Any(s => s.Name == name);

    public static async Task<PrometheusText> ScrapeAsync(int httpPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return new PrometheusText(await http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics"));
    }

    private static void ParseLabels(string text, Dictionary<string, string> labels)
    {
        int i = 0;
        while (i < text.Length)
        {
            int eq = text.IndexOf('=', i);
            string key = text[i..eq].Trim(' ', ',');
            int start = eq + 2; // past ="
            var value = new System.Text.StringBuilder();
            int j = start;
            for (; j < text.Length && text[j] != '"'; j++)
            {
                if (text[j] == '\\' && j + 1 < text.Length) j++;
                value.Append(text[j]);
            }
            labels[key] = value.ToString();
            i = j + 1;
            while (i < text.Length && (text[i] == ',' || text[i] == ' ')) i++;
        }
    }
}
