namespace DittoFs.Server.Cli;

/// <summary>
/// A one-line progress bar on stderr: redrawn in place on a terminal, one line
/// per second (and the last) when stderr is a file or a pipe.
/// </summary>
internal sealed class ProgressBar(TextWriter output, bool interactive)
{
    private const int Width = 30;
    private long _lastLine;
    private int _lastLength;

    public static ProgressBar ForStandardError() => new(Console.Error, !Console.IsErrorRedirected);

    /// <summary>Draws nothing (<c>--json</c>: only the result is printed).</summary>
    public static ProgressBar Silent => new(TextWriter.Null, false);

    /// <summary><paramref name="total"/> 0 = unknown: shows the count only.</summary>
    public void Update(long done, long total, string label, bool final = false)
    {
        string line;
        if (total > 0)
        {
            double fraction = Math.Clamp((double)done / total, 0, 1);
            int filled = (int)Math.Round(fraction * Width);
            line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,5:0.0}% {label}";
        }
        else
        {
            line = $"[{new string('.', Width)}] {label}";
        }
        if (interactive)
        {
            output.Write('\r' + line.PadRight(_lastLength));
            _lastLength = line.Length;
            if (final) output.WriteLine();
        }
        else if (final || Environment.TickCount64 - _lastLine >= 1000)
        {
            output.WriteLine(line);
            _lastLine = Environment.TickCount64;
        }
        output.Flush();
    }

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
