using System.Buffers;
using DittoFs.Storage.Cache;
using DittoFs.Storage.Tests.S3;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>
/// The object store fails (500s from the <see cref="FaultProxy"/> in front of moto) and heals: the log
/// says so once when uploads start failing, with the backlog, and once when they recover — not once
/// per retry — and the stop says what was left dirty.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class FlusherLogTests(MotoServer moto) : IDisposable
{
    private const int Bs = 64 * 1024;
    private readonly string _directory = CacheTestSupport.TempDirectory();
    private readonly Metadata.InMemoryMetadataStore _metadata = new();
    private readonly string _bucket = moto.CreateBucket();
    private readonly FaultProxy _proxy = new(moto.Port);

    public void Dispose()
    {
        _proxy.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static async Task<bool> WaitFor(FakeLogger logger, int id, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (logger.Collector.GetSnapshot().Count(r => r.Id.Id == id) >= count) return true;
            await Task.Delay(50);
        }
        return false;
    }

    [Fact]
    public async Task S3Down_ThenUp_IsOneWarningWithTheBacklog_ThenOneRecovery()
    {
        var logger = new FakeLogger();
        var options = CacheTestSupport.Options(_directory, Bs) with { Logger = logger };
        await using (CachedPayloadStore store = await CachedPayloadStore.OpenAsync(options, CacheTestSupport.ObjectStore(_proxy.Endpoint, _bucket), _metadata))
        {
            await store.Sweep.WaitAsync(TimeSpan.FromSeconds(30)); // the bucket is known to be ours, uploads enabled
            Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 3104); // the sweep's result

            _proxy.Inject(S3Fault.InternalError);
            await store.WriteAsync(7, 0, new ReadOnlySequence<byte>(new byte[3 * Bs]));
            Assert.True(await WaitFor(logger, 3101, TimeSpan.FromSeconds(30)), "no 'uploads failing' line");
            await Task.Delay(1500); // several retries (backoff up to 500 ms) while down
            Assert.True(store.FailedUploads >= 3, $"only {store.FailedUploads} failed uploads");
            FakeLogRecord failing = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3101);
            Assert.Equal(LogLevel.Warning, failing.Level);
            Assert.Contains("backlog 3 dirty blocks (196608 bytes)", failing.Message);
            Assert.DoesNotContain(logger.Collector.GetSnapshot(), r => r.Id.Id == 3103);

            _proxy.Heal();
            Assert.True(await WaitFor(logger, 3103, TimeSpan.FromSeconds(30)), "no 'uploads recovered' line");
            Assert.True(await store.WaitIdleAsync(TimeSpan.FromSeconds(30)));
            FakeLogRecord recovered = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3103);
            Assert.Equal(LogLevel.Information, recovered.Level);
            Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3101); // still the one warning

            // Down again: the stop says what is left (when flapping is logged: OutageTests).
            _proxy.Inject(S3Fault.InternalError);
            await store.WriteAsync(8, 0, new ReadOnlySequence<byte>(new byte[Bs + 10]));
            await store.FlushAsync(8);
        }
        FakeLogRecord stopped = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3007);
        Assert.Contains("2 blocks (131072 bytes) not yet uploaded", stopped.Message);
    }
}
