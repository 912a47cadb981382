using DittoFs.Fuzz;

// dittofs-fuzz: coverage-guided fuzz targets for AFL++ (via SharpFuzz) and their seeds. See README.md.
//   afl <target>                 run under afl-fuzz (persistent mode, input from AFL's shared memory/stdin)
//   replay <target> <path>...    run files (or every file of directories) in-process; exit 1 on a finding
//   seeds <corpus-dir>           write the seed corpus (real calls encoded with the server's codecs)
//   list                         the target names
return Cli.Run(args);

namespace DittoFs.Fuzz
{
    public static class Cli
    {
        public static int Run(string[] args)
        {
            if (args.Length == 0) return Usage();
            switch (args[0])
            {
                case "list":
                    foreach (string name in Targets.Names) Console.WriteLine(name);
                    return 0;
                case "afl" when args.Length == 2:
                    {
                        FuzzTarget target = Targets.Create(args[1]);
                        // A process that dies between inputs shows in AFL only as a lost fork server: say why.
                        if (Environment.GetEnvironmentVariable("DITTOFS_FUZZ_DEATH_LOG") is { Length: > 0 } deathLog)
                        {
                            AppDomain.CurrentDomain.UnhandledException += (_, e) => File.AppendAllText(deathLog, $"{DateTime.UtcNow:O} unhandled: {e.ExceptionObject}\n");
                            AppDomain.CurrentDomain.ProcessExit += (_, _) => File.AppendAllText(deathLog, $"{DateTime.UtcNow:O} exit {Environment.ExitCode}\n");
                        }
                        // No warm-up call here: instrumented code writes to AFL's shared map, which exists only inside Fuzzer.Run.
                        var copy = new MemoryStream();
                        SharpFuzz.Fuzzer.Run(stream =>
                        {
                            copy.SetLength(0);
                            stream.CopyTo(copy);
                            target.RunChecked(copy.GetBuffer().AsSpan(0, (int)copy.Length));
                        });
                        return 0;
                    }
                case "replay" when args.Length >= 3:
                    {
                        FuzzTarget target = Targets.Create(args[1]);
                        int findings = 0;
                        foreach (string file in Replay.Files(args[2..]))
                        {
                            var watch = System.Diagnostics.Stopwatch.StartNew();
                            string? finding = Replay.RunOne(target, File.ReadAllBytes(file), TimeSpan.FromSeconds(10));
                            // AFL kills the whole harness (its fork server) at -t: show what comes near.
                            string slow = watch.ElapsedMilliseconds >= 100 ? $" ({watch.ElapsedMilliseconds} ms)" : "";
                            Console.WriteLine($"{file}: {finding ?? "ok"}{slow}");
                            if (finding is not null) findings++;
                        }
                        return findings == 0 ? 0 : 1;
                    }
                case "seeds" when args.Length == 2:
                    Seeds.Write(args[1]);
                    return 0;
                default:
                    return Usage();
            }
        }

        private static int Usage()
        {
            Console.Error.WriteLine($"usage: DittoFs.Fuzz afl|replay|seeds|list ... (targets: {string.Join(", ", Targets.Names)})");
            return 2;
        }
    }

    /// <summary>Feeds saved inputs to a target in-process, as the regression test does.</summary>
    public static class Replay
    {
        public static IEnumerable<string> Files(IEnumerable<string> paths)
        {
            foreach (string path in paths)
            {
                if (Directory.Exists(path))
                {
                    foreach (string f in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    {
                        if (!Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", StringComparison.Ordinal)) yield return f;
                    }
                }
                else if (File.Exists(path)) yield return path;
            }
        }

        /// <summary>Null when the input ran clean; otherwise what went wrong (an unexpected exception, a finding or a hang).</summary>
        public static string? RunOne(FuzzTarget target, byte[] input, TimeSpan timeout)
        {
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    target.RunChecked(input);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            }, 16 * 1024 * 1024) { IsBackground = true };
            thread.Start();
            if (!thread.Join(timeout)) return $"hang: no result in {timeout.TotalSeconds} s";
            return failure?.ToString();
        }
    }
}
