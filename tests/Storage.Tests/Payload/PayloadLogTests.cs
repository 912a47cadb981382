using System.Buffers;
using DittoFs.Storage.Payload;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace DittoFs.Storage.Tests;

/// <summary>The local payload store logs a full disk once (which store, free bytes), not once per refused write.</summary>
public sealed class PayloadLogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dittofs-tests", "payload-log-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task FullDisk_IsLoggedOnce_WithTheDirectoryAndFreeBytes()
    {
        var logger = new FakeLogger();
        await using var store = new LocalPayloadStore(new LocalPayloadStoreOptions { Root = _root, ReserveBytes = 1L << 50, Logger = logger });
        for (int i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<StorageFullException>(async () => await store.WriteAsync(1, 0, new ReadOnlySequence<byte>(new byte[100])));
        }
        FakeLogRecord full = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 3401);
        Assert.Equal(LogLevel.Error, full.Level);
        Assert.StartsWith($"NOSPC: payload disk full at {Path.GetFullPath(_root)}: ", full.Message);
        long free = long.Parse(full.StructuredState!.Single(kv => kv.Key == "FreeBytes").Value!);
        Assert.True(free > 0, full.Message);
    }
}
