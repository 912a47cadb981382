using System.Diagnostics;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>Runs <c>dittofs &lt;verb&gt;</c> (the server binary) as a child process and captures what it printed.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(IEnumerable<string> args, IDictionary<string, string>? environment = null, string? executable = null, TimeSpan? timeout = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "DittoFs.Server.dll");
        var psi = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (executable is null) psi.ArgumentList.Add(dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using Process process = Process.Start(psi)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dittofs {string.Join(' ', args)} did not finish");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
