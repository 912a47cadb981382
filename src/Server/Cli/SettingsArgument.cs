using System.CommandLine;

namespace DittoFs.Server.Cli;

/// <summary>
/// The server's configuration on the command line (<c>--DittoFs:NfsPort=2049</c>, <c>--DittoFs:NfsPort 2049</c>,
/// <c>DittoFs:NfsPort=2049</c>), as the host's command-line configuration provider reads them.
/// Anything else is a mistake, most often a mistyped verb: an error with a suggestion, not a server
/// started on the default ports.
/// </summary>
internal sealed class SettingsArgument
{
    private static readonly string[] s_verbs = ["serve", "config", "status", "exports", "flush", "gc", "check", "restore"];

    public SettingsArgument()
    {
        Argument = new Argument<string[]>("settings")
        {
            Description = "Configuration keys: --DittoFs:Key=value (see appsettings.json)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        Argument.Validators.Add(result =>
        {
            string[] tokens = [.. result.Tokens.Select(t => t.Value)];
            for (int i = 0; i < tokens.Length; i++)
            {
                string token = tokens[i];
                bool key = token.StartsWith("--", StringComparison.Ordinal) || token.StartsWith('/');
                if (key && token.Length > 2)
                {
                    // "--Key value": the next token is the value.
                    if (!token.Contains('=', StringComparison.Ordinal) && i + 1 < tokens.Length) i++;
                    continue;
                }
                if (token.Contains('=', StringComparison.Ordinal) && token.IndexOf('=', StringComparison.Ordinal) > 0) continue;
                string? verb = Options.ConfigurationValidator.Nearest(token, s_verbs);
                result.AddError(verb is null
                    ? $"unknown verb or argument '{token}' (settings are --DittoFs:Key=value; see --help)"
                    : $"unknown verb '{token}'; did you mean '{verb}'?");
                return;
            }
        });
    }

    public Argument<string[]> Argument { get; }
}
