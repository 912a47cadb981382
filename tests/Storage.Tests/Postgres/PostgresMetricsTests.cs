using System.Diagnostics.Metrics;
using System.Text;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Storage.Tests.Postgres;

/// <summary>Round trips to the metadata database are timed by kind (read, change, lease) on the DittoFs.Postgres meter.</summary>
public sealed class PostgresMetricsTests
{
    [PostgresFact]
    public async Task RoundTripsAreTimedByKind()
    {
        var kinds = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PostgresMetrics.MeterName && instrument.Name == "dittofs.postgres.round_trip.duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            Assert.True(seconds >= 0);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "kind") kinds.AddOrUpdate((string)tag.Value!, 1, (_, n) => n + 1);
            }
        });
        listener.Start();

        var store = new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = PostgresServer.Shared.CreateDatabase() });
        await using FileSystem fs = await FileSystem.OpenAsync(store, new InMemoryPayloadStore(4096), new FileSystemOptions { RootMode = 0x1FF });
        FileId root = (await fs.GetVolumeRootAsync("vol")).Value;
        Assert.Equal(FsStatus.Ok, (await fs.CreateAsync(Caller.Root, root, Encoding.UTF8.GetBytes("f"), new CreateRequest { Type = FileType.Regular, Mode = CreateMode.Guarded })).Status);

        Assert.True(kinds.GetValueOrDefault("read") > 0, string.Join(", ", kinds));
        Assert.True(kinds.GetValueOrDefault("change") > 0, string.Join(", ", kinds));
        Assert.True(kinds.GetValueOrDefault("lease") > 0, string.Join(", ", kinds)); // the inode lease
    }
}
