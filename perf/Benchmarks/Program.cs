using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(DittoFs.Perf.CodecBenchmarks).Assembly).Run(args);
