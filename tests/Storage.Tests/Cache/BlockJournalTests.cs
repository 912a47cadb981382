using DittoFs.Storage.Cache;
using Xunit;
using R = DittoFs.Storage.Cache.BlockJournal.Record;
using K = DittoFs.Storage.Cache.BlockJournal.Kind;

namespace DittoFs.Storage.Tests.Cache;

public sealed class BlockJournalTests : IDisposable
{
    private readonly string _directory = CacheTestSupport.TempDirectory();

    public BlockJournalTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task CommittedRecordsReplayAndATornTailIsIgnored()
    {
        string path = Path.Combine(_directory, "j");
        R a = new(K.State, 1, 2, 3, 0xdeadbeef, 4096, Dirty: true);
        R b = new(K.Drop, 1, 0);
        R c = new(K.State, 5, 6, 7, 8, 9);
        using (var journal = new BlockJournal(path, [a]))
        {
            journal.Append(b);
            journal.Append(c);
            await Task.WhenAll(journal.CommitAsync(), journal.CommitAsync());
        }
        Assert.Equal([a, b, c], BlockJournal.Load(path));

        // A crash mid-append: half a record, then a record with a bad checksum.
        byte[] bytes = File.ReadAllBytes(path);
        byte[] torn = [.. bytes, .. bytes.AsSpan(0, 17)];
        File.WriteAllBytes(path, torn);
        Assert.Equal([a, b, c], BlockJournal.Load(path));
        bytes[BlockJournal.RecordSize + 5] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        Assert.Equal([a], BlockJournal.Load(path));
    }

    [Fact]
    public async Task CommitCoversEveryEarlierAppend()
    {
        string path = Path.Combine(_directory, "j");
        using var journal = new BlockJournal(path, []);
        var tasks = new List<Task>();
        for (int i = 0; i < 1000; i++)
        {
            journal.Append(new R(K.State, (ulong)i, 0));
            if (i % 10 == 0) tasks.Add(journal.CommitAsync());
        }
        tasks.Add(journal.CommitAsync());
        await Task.WhenAll(tasks);
        Assert.Equal(1000 * BlockJournal.RecordSize, new FileInfo(path).Length);
        Assert.Equal(1000, BlockJournal.Load(path).Count);
    }
}
