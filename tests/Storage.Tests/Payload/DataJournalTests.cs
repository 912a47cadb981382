using System.Buffers;
using DittoFs.Storage.Payload;
using Xunit;

namespace DittoFs.Storage.Tests;

/// <summary>
/// The local store's data journal: small blocks flushed through it come back after a "crash"
/// (the block file lost, as an unsynced new file may be), and a replay never writes removed or
/// superseded bytes.
/// </summary>
public sealed class DataJournalTests : IAsyncLifetime
{
    private const int Block = 256 * 1024;
    private readonly string _base = Path.Combine(Path.GetTempPath(), "dittofs-journal-tests", Guid.NewGuid().ToString("N"));
    private string _root;
    private int _crashes;
    private LocalPayloadStore _store = null!;

    public DataJournalTests() => _root = Path.Combine(_base, "0");

    public Task InitializeAsync()
    {
        _store = Open();
        return Task.CompletedTask;
    }

    private LocalPayloadStore Open(long journalBytes = 8L << 20) => new(new LocalPayloadStoreOptions
    {
        Root = _root,
        BlockSize = Block,
        JournalBytes = journalBytes,
        JournalMaxImage = 64 * 1024,
    });

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_base, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();

    private ValueTask WriteAsync(ulong inode, ulong offset, byte[] data) => _store.WriteAsync(inode, offset, new ReadOnlySequence<byte>(data));

    private async Task<byte[]> ReadAsync(ulong inode, ulong offset, int length)
    {
        var buffer = new byte[length];
        Array.Fill(buffer, (byte)0xEE);
        await _store.ReadAsync(inode, offset, buffer);
        return buffer;
    }

    // A new store's layout: block 0 flat in the fan-out directory, the other blocks in the inode's directory.
    private string FanOut(ulong inode) => Path.Combine(_root, $"{inode >> 16 & 0xFF:x2}", $"{inode >> 8 & 0xFF:x2}");

    private string BlockFile(ulong inode, ulong block) => block == 0
        ? Path.Combine(FanOut(inode), $"{inode:x16}.0")
        : Path.Combine(InodeDirectory(inode), block.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Every block file of the inode gone, as a crash may leave names never fsynced.</summary>
    private void LoseFiles(ulong inode)
    {
        File.Delete(BlockFile(inode, 0));
        if (Directory.Exists(InodeDirectory(inode))) Directory.Delete(InodeDirectory(inode), recursive: true);
    }

    private bool HasFiles(ulong inode) => File.Exists(BlockFile(inode, 0)) || Directory.Exists(InodeDirectory(inode));

    /// <summary>
    /// A crash: the store's files are copied as they are while it runs (a clean close would
    /// checkpoint), <paramref name="lose"/> then deletes some, as a crash may for names never
    /// fsynced, and a new store opens on the copy.
    /// </summary>
    private async Task RestartAsync(Action? lose = null)
    {
        string copy = Path.Combine(_base, (++_crashes).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Cache.CacheTestSupport.CopyDirectory(_root, copy);
        await _store.DisposeAsync();
        _root = copy;
        lose?.Invoke();
        _store = Open();
    }

    private string InodeDirectory(ulong inode) => Path.Combine(FanOut(inode), $"{inode:x16}");

    [Fact]
    public async Task FlushedSmallFiles_ComeBackFromTheJournal_WhenTheirFilesAreLost()
    {
        byte[] a = Pattern(20_000, 1), b = Pattern(4096, 2);
        await WriteAsync(10, 0, a);
        await WriteAsync(11, Block + 100, b); // block 1 of a file: a 4196-byte sparse block file
        await _store.FlushAsync(10);
        await _store.FlushAsync(11);
        await WriteAsync(10, 0, Pattern(20_000, 9)); // never flushed: may be lost

        await RestartAsync(() =>
        {
            LoseFiles(10);
            LoseFiles(11);
        });

        Assert.Equal(a, await ReadAsync(10, 0, a.Length));
        Assert.Equal(b, await ReadAsync(11, Block + 100, b.Length));
        Assert.Equal(new byte[100], await ReadAsync(11, Block, 100));
        Assert.Equal(20_000, new FileInfo(BlockFile(10, 0)).Length);
    }

    [Fact]
    public async Task Truncate_IsNotUndoneByReplay()
    {
        await WriteAsync(12, 0, Pattern(30_000, 3));
        await _store.FlushAsync(12);
        await _store.TruncateAsync(12, 1000);
        await _store.TruncateAsync(12, 0);

        await RestartAsync();

        Assert.False(File.Exists(BlockFile(12, 0)));
        Assert.Equal(new byte[30_000], await ReadAsync(12, 0, 30_000));
    }

    [Fact]
    public async Task TruncateCut_SurvivesReplay()
    {
        byte[] a = Pattern(30_000, 4);
        await WriteAsync(13, 0, a);
        await _store.FlushAsync(13);
        await _store.TruncateAsync(13, 1000);

        await RestartAsync();

        Assert.Equal(1000, new FileInfo(BlockFile(13, 0)).Length);
        Assert.Equal(a[..1000], await ReadAsync(13, 0, 1000));
    }

    [Fact]
    public async Task BlockSyncedInPlaceLater_IsNotOverwrittenByItsOlderImage()
    {
        await WriteAsync(14, 0, Pattern(10_000, 5));
        await _store.FlushAsync(14); // an image of 10,000 bytes
        byte[] big = Pattern(200_000, 6);
        await WriteAsync(14, 0, big);
        await _store.FlushAsync(14); // too big for an image: fsynced in place, the image voided

        await RestartAsync();

        Assert.Equal(big, await ReadAsync(14, 0, big.Length));
    }

    [Fact]
    public async Task ImageAfterImage_TheLastOneWins()
    {
        await WriteAsync(15, 0, Pattern(5000, 7));
        await _store.FlushAsync(15);
        byte[] second = Pattern(3000, 8);
        await WriteAsync(15, 0, second);
        await _store.TruncateAsync(15, 3000);
        await _store.FlushAsync(15);

        await RestartAsync(() => File.Delete(BlockFile(15, 0)));

        Assert.Equal(3000, new FileInfo(BlockFile(15, 0)).Length);
        Assert.Equal(second, await ReadAsync(15, 0, 3000));
    }

    [Fact]
    public async Task DeletedFile_IsNotRecreatedByReplay()
    {
        await WriteAsync(16, 0, Pattern(8000, 9));
        await _store.FlushAsync(16);
        await _store.DeleteAsync(16);
        await WriteAsync(17, 0, Pattern(100, 1));
        await _store.FlushAsync(17); // syncs the delete's Drop record too

        await RestartAsync();

        Assert.False(HasFiles(16));
    }

    [Fact]
    public async Task FullJournal_Checkpoints_AndEverythingFlushedSurvives()
    {
        await _store.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        _store = Open(journalBytes: 512 * 1024); // room for 8 images of 60 KB: checkpoints on the way
        var files = new Dictionary<ulong, byte[]>();
        for (ulong inode = 100; inode < 140; inode++)
        {
            files[inode] = Pattern(60_000, (int)inode);
            await WriteAsync(inode, 0, files[inode]);
            await _store.FlushAsync(inode);
        }

        Assert.Equal(512 * 1024, new FileInfo(Path.Combine(_root, "data.journal")).Length);

        // The images of the last epoch are replayed; the files of earlier ones were synced by a checkpoint.
        await RestartAsync(() =>
        {
            for (ulong inode = 136; inode < 140; inode++) LoseFiles(inode);
        });

        foreach (var (inode, data) in files) Assert.Equal(data, await ReadAsync(inode, 0, data.Length));
    }

    [Fact]
    public async Task TornTail_IsIgnored()
    {
        byte[] a = Pattern(9000, 2);
        await WriteAsync(18, 0, a);
        await _store.FlushAsync(18);
        await WriteAsync(19, 0, Pattern(9000, 3));
        await _store.FlushAsync(19);

        await RestartAsync(() =>
        {
            // Flip a byte in the second image: its CRC fails, replay stops there.
            using (FileStream f = File.Open(Path.Combine(_root, "data.journal"), FileMode.Open))
            {
                f.Position = DataJournal.HeaderSize + 40 + 9000 + 40 + 5;
                int v = f.ReadByte();
                f.Position--;
                f.WriteByte((byte)(v ^ 0xFF));
            }
            LoseFiles(18);
            LoseFiles(19);
        });

        Assert.Equal(a, await ReadAsync(18, 0, a.Length));
        Assert.Equal(new byte[9000], await ReadAsync(19, 0, 9000));
    }

    [Fact]
    public async Task CleanClose_ReplaysNothing_SoLaterWritesStay()
    {
        await WriteAsync(20, 0, Pattern(5000, 1));
        await _store.FlushAsync(20);
        byte[] later = Pattern(5000, 2);
        await WriteAsync(20, 0, later); // not flushed, but a clean close keeps it
        await _store.DisposeAsync();
        _store = Open();

        Assert.Equal(later, await ReadAsync(20, 0, later.Length));
    }
}

/// <summary>Random writes, flushes and crashes (a copy of the running store's files) against a model of what was flushed.</summary>
public sealed class DataJournalCrashModelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task FlushedBytesSurviveEveryCrash(int seed)
    {
        string baseDir = Path.Combine(Path.GetTempPath(), "dittofs-journal-model", Guid.NewGuid().ToString("N"));
        string root = Path.Combine(baseDir, "0");
        const int BlockSize = 256 * 1024;
        LocalPayloadStore Open() => new(new LocalPayloadStoreOptions { Root = root, BlockSize = BlockSize, JournalBytes = 4L << 20 });
        var rnd = new Random(seed);
        var store = Open();
        var next = new Dictionary<ulong, ulong>();
        var writes = new List<(ulong Inode, ulong Offset, byte[] Data, bool Durable)>();
        try
        {
            for (int crash = 0; crash < 8; crash++)
            {
                for (int n = 0; n < 300; n++)
                {
                    ulong inode = (ulong)rnd.Next(1, 5);
                    if (rnd.Next(10) == 0)
                    {
                        await store.FlushAsync(inode);
                        for (int i = 0; i < writes.Count; i++) if (writes[i].Inode == inode) writes[i] = writes[i] with { Durable = true };
                        continue;
                    }
                    byte[] data = new byte[rnd.Next(1, 3000)];
                    rnd.NextBytes(data);
                    ulong offset = next.GetValueOrDefault(inode) + (ulong)rnd.Next(0, 2048);
                    next[inode] = offset + (ulong)data.Length;
                    await store.WriteAsync(inode, offset, new System.Buffers.ReadOnlySequence<byte>(data));
                    writes.Add((inode, offset, data, false));
                }
                string copy = Path.Combine(baseDir, (crash + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                Cache.CacheTestSupport.CopyDirectory(root, copy);
                await store.DisposeAsync();
                root = copy;
                store = Open();
                foreach (var (inode, offset, data, durable) in writes)
                {
                    if (!durable) continue;
                    var got = new byte[data.Length];
                    await store.ReadAsync(inode, offset, got);
                    Assert.True(data.AsSpan().SequenceEqual(got), $"crash {crash}: inode {inode} write at {offset} (+{data.Length}) differs");
                }
                writes.RemoveAll(w => !w.Durable); // lost or not, nobody promised them; later writes never overlap
            }
        }
        finally
        {
            await store.DisposeAsync();
            try { Directory.Delete(baseDir, recursive: true); } catch (IOException) { }
        }
    }
}
