using System.Buffers;
using Xunit;

namespace DittoFs.Storage.Tests;

public abstract class ReadWriteTests : FileSystemTestBase
{
    [Fact]
    public async Task Write_ThenRead_RoundTrips_AndExtendsSize()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        byte[] data = Pattern(20_000);
        WriteResult w = await WriteAsync(f.Id, 0, data);
        Assert.Equal(FsStatus.Ok, w.Status);
        Assert.Equal(20_000, w.Count);
        Assert.Equal(StableHow.Unstable, w.Committed);
        Assert.Equal(0ul, w.File.Before!.Value.Size);
        Assert.Equal(20_000ul, w.File.After!.Value.Size);
        Assert.Equal(20_480ul, w.File.After.Value.SpaceUsed);
        Assert.Equal(data, await ReadAllAsync(f.Id));
    }

    [Fact]
    public async Task Write_MultiSegmentSequence_IsWrittenInOrder()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        byte[] data = Pattern(10_000);
        var first = new Segment(data.AsMemory(0, 3000));
        Segment last = first.Append(data.AsMemory(3000, 5000)).Append(data.AsMemory(8000));
        WriteResult w = await Fs.WriteAsync(RootCaller, f.Id, 100, new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), StableHow.FileSync);
        Assert.Equal(10_000, w.Count);
        Assert.Equal(StableHow.FileSync, w.Committed);
        byte[] read = await ReadAllAsync(f.Id);
        Assert.Equal(10_100, read.Length);
        Assert.Equal(data, read[100..]);
    }

    [Fact]
    public async Task Read_ClampsToSize_AndReportsEof()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        await WriteAsync(f.Id, 0, Pattern(1000));
        var buffer = new byte[600];

        ReadResult first = await Fs.ReadAsync(RootCaller, f.Id, 0, buffer);
        Assert.Equal((FsStatus.Ok, 600, false), (first.Status, first.Count, first.Eof));
        ReadResult second = await Fs.ReadAsync(RootCaller, f.Id, 600, buffer);
        Assert.Equal((FsStatus.Ok, 400, true), (second.Status, second.Count, second.Eof));
        ReadResult exact = await Fs.ReadAsync(RootCaller, f.Id, 400, buffer);
        Assert.Equal((600, true), (exact.Count, exact.Eof));
        ReadResult past = await Fs.ReadAsync(RootCaller, f.Id, 5000, buffer);
        Assert.Equal((FsStatus.Ok, 0, true), (past.Status, past.Count, past.Eof));
    }

    [Fact]
    public async Task SparseWrite_ReadsZerosInTheHole()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        await WriteAsync(f.Id, 1_000_000, [1, 2, 3]);
        Assert.Equal(1_000_003ul, (await AttrAsync(f.Id)).Size);
        var buffer = new byte[10];
        ReadResult r = await Fs.ReadAsync(RootCaller, f.Id, 999_995, buffer);
        Assert.Equal(8, r.Count);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 1, 2, 3 }, buffer[..8]);
    }

    [Fact]
    public async Task Write_InsideFile_KeepsSize_ButChangesMtime()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        WriteResult w1 = await WriteAsync(f.Id, 0, Pattern(100));
        WriteResult w2 = await WriteAsync(f.Id, 10, [9]);
        Assert.Equal(100ul, w2.File.After!.Value.Size);
        Assert.True(w2.File.After.Value.ChangeId > w1.File.After!.Value.ChangeId);
        Assert.True(w2.File.After.Value.ModifyTime.CompareTo(w1.File.After.Value.ModifyTime) >= 0);
    }

    [Fact]
    public async Task ReadWrite_OfDirectory_IsIsDirectory_OfOthers_IsInvalid()
    {
        FileAttributes d = await MkdirAsync(Root, "d");
        FileAttributes l = await CreateAsync(Root, "l", FileType.Symlink);
        Assert.Equal(FsStatus.IsDirectory, (await Fs.ReadAsync(RootCaller, d.Id, 0, new byte[1])).Status);
        Assert.Equal(FsStatus.IsDirectory, (await WriteAsync(d.Id, 0, [1])).Status);
        Assert.Equal(FsStatus.Invalid, (await Fs.ReadAsync(RootCaller, l.Id, 0, new byte[1])).Status);
        Assert.Equal(FsStatus.Invalid, (await WriteAsync(l.Id, 0, [1])).Status);
        Assert.Equal(FsStatus.IsDirectory, (await Fs.CommitAsync(d.Id, 0, 0)).Status);
    }

    [Fact]
    public async Task Write_PastMaxFileSize_IsFileTooBig()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.FileTooBig, (await WriteAsync(f.Id, FsLimits.MaxFileSize, [1])).Status);
        Assert.Equal(FsStatus.FileTooBig, (await WriteAsync(f.Id, ulong.MaxValue - 1, [1, 2, 3])).Status);
    }

    [Fact]
    public async Task Write_UpToMaxFileSize_IsAccepted()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, FsLimits.MaxFileSize - 1, [7])).Status);
        Assert.Equal(FsLimits.MaxFileSize, (await AttrAsync(f.Id)).Size);
        var buffer = new byte[2];
        ReadResult r = await Fs.ReadAsync(RootCaller, f.Id, FsLimits.MaxFileSize - 2, buffer);
        Assert.Equal((2, true), (r.Count, r.Eof));
        Assert.Equal(new byte[] { 0, 7 }, buffer);
    }

    [Fact]
    public async Task ReadWrite_NeedModeBits()
    {
        Caller owner = User(1000, 100);
        Caller other = User(2000, 200);
        FileAttributes f = await CreateAsync(Root, "f", mode: 0x1A4, caller: owner); // 0644
        Assert.Equal(FsStatus.Access, (await WriteAsync(f.Id, 0, [1], other)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.ReadAsync(other, f.Id, 0, new byte[1])).Status);
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, [1], owner)).Status);

        Assert.Equal(FsStatus.Ok, await SetAttrAsync(f.Id, new SetAttributes { Mode = 0 }, owner));
        Assert.Equal(FsStatus.Access, (await Fs.ReadAsync(owner, f.Id, 0, new byte[1])).Status);
        Assert.Equal(FsStatus.Access, (await WriteAsync(f.Id, 0, [1], owner)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.ReadAsync(RootCaller, f.Id, 0, new byte[1])).Status);
        Assert.Equal(FsStatus.Ok, (await WriteAsync(f.Id, 0, [1], RootCaller)).Status);
    }

    [Fact]
    public async Task Write_ByNonRoot_ClearsSetuid_ByRoot_KeepsIt()
    {
        Caller owner = User(1000, 100);
        FileAttributes f = await CreateAsync(Root, "f", mode: 0xDFF, caller: owner); // 06777
        Assert.Equal(0xDFFu, (await WriteAsync(f.Id, 0, [1], RootCaller)).File.After!.Value.Mode);
        Assert.Equal(0x1FFu, (await WriteAsync(f.Id, 0, [1], owner)).File.After!.Value.Mode);
    }

    [Fact]
    public async Task StableWrite_ReportsFileSync_CommitSucceeds()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        Assert.Equal(StableHow.FileSync, (await WriteAsync(f.Id, 0, [1], stable: StableHow.DataSync)).Committed);
        await WriteAsync(f.Id, 1, [2]);
        CommitResult c = await Fs.CommitAsync(f.Id, 0, 0);
        Assert.Equal(FsStatus.Ok, c.Status);
        Assert.Equal(2ul, c.File.After!.Value.Size);
        Assert.NotEqual(0ul, Fs.WriteVerifier);
    }

    [Fact]
    public async Task ZeroLengthWrite_ChangesNothing()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        WriteResult w = await WriteAsync(f.Id, 10, []);
        Assert.Equal((FsStatus.Ok, 0), (w.Status, w.Count));
        Assert.Equal(f, await AttrAsync(f.Id));
    }

    [Fact]
    public async Task ConcurrentWrites_ToDistinctRanges_AllLand()
    {
        FileAttributes f = await CreateAsync(Root, "f");
        const int chunk = 3000;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            WriteAsync(f.Id, (ulong)(i * chunk), Pattern(chunk, i))));
        byte[] all = await ReadAllAsync(f.Id);
        Assert.Equal(32 * chunk, all.Length);
        for (int i = 0; i < 32; i++) Assert.Equal(Pattern(chunk, i), all[(i * chunk)..((i + 1) * chunk)]);
    }

    [Fact]
    public async Task GetStats_ReportsCapacity()
    {
        FsResult<FsStats> s = await Fs.GetStatsAsync(Root);
        Assert.Equal(FsStatus.Ok, s.Status);
        Assert.True(s.Value.TotalBytes >= s.Value.FreeBytes);
        Assert.True(s.Value.FreeFiles > 0);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
