using System.Buffers;
using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using Xunit;

namespace DittoFs.Storage.Tests;

/// <summary>
/// Shared fixture of the filesystem tests: a fresh filesystem over the stores a
/// subclass provides (the seam for running the same tests on another metadata store).
/// </summary>
public abstract class FileSystemTestBase : IAsyncLifetime
{
    protected const uint Dir0777 = 0x1FF;

    private string _directory = "";

    protected FileSystem Fs { get; private set; } = null!;
    protected IMetadataStore Store { get; private set; } = null!;
    protected IPayloadStore Payload { get; private set; } = null!;
    protected FileId Root { get; private set; }

    protected static Caller RootCaller => Caller.Root;

    /// <summary>A fresh metadata store keeping its files (if any) under <paramref name="directory"/>.</summary>
    protected abstract IMetadataStore CreateStore(string directory);

    protected virtual IPayloadStore CreatePayload(string directory) => new InMemoryPayloadStore(4096);

    // A small link limit keeps the EMLINK test fast on durable stores (one commit per link).
    protected virtual FileSystemOptions Options => new() { RootMode = Dir0777, MaxLinkCount = TestMaxLinkCount };

    protected const uint TestMaxLinkCount = 300;

    public async Task InitializeAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "dittofs-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        Store = CreateStore(Path.Combine(_directory, "meta"));
        Payload = CreatePayload(Path.Combine(_directory, "payload"));
        Fs = await FileSystem.OpenAsync(Store, Payload, Options);
        FsResult<FileId> root = await Fs.GetVolumeRootAsync("vol");
        Assert.Equal(FsStatus.Ok, root.Status);
        Root = root.Value;
    }

    public async Task DisposeAsync()
    {
        await Fs.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    protected static ReadOnlyMemory<byte> N(string name) => Encoding.UTF8.GetBytes(name);

    protected static Caller User(uint uid, uint gid, params uint[] groups)
    {
        var caller = new Caller(uid, gid) { GroupCount = groups.Length };
        for (int i = 0; i < groups.Length; i++) caller.Groups[i] = groups[i];
        return caller;
    }

    protected async Task<FileAttributes> CreateAsync(FileId dir, string name, FileType type = FileType.Regular, uint? mode = null, Caller? caller = null)
    {
        CreateResult r = await Fs.CreateAsync(caller ?? RootCaller, dir, N(name), new CreateRequest
        {
            Type = type,
            Mode = CreateMode.Guarded,
            Attributes = new SetAttributes { Mode = mode },
            LinkTarget = type == FileType.Symlink ? N("target") : default,
        });
        Assert.Equal(FsStatus.Ok, r.Status);
        return r.File;
    }

    protected Task<FileAttributes> MkdirAsync(FileId dir, string name, uint? mode = null, Caller? caller = null) =>
        CreateAsync(dir, name, FileType.Directory, mode, caller);

    protected async Task<FileAttributes> AttrAsync(FileId file)
    {
        FsResult<FileAttributes> r = await Fs.GetAttributesAsync(file);
        Assert.Equal(FsStatus.Ok, r.Status);
        return r.Value;
    }

    protected async Task<FsStatus> LookupStatusAsync(FileId dir, string name) => (await Fs.LookupAsync(RootCaller, dir, N(name))).Status;

    protected async Task<FileAttributes> LookupAsync(FileId dir, string name)
    {
        LookupResult r = await Fs.LookupAsync(RootCaller, dir, N(name));
        Assert.Equal(FsStatus.Ok, r.Status);
        return r.File;
    }

    protected async Task<WriteResult> WriteAsync(FileId file, ulong offset, byte[] data, Caller? caller = null, StableHow stable = StableHow.Unstable) =>
        await Fs.WriteAsync(caller ?? RootCaller, file, offset, new ReadOnlySequence<byte>(data), stable);

    protected async Task<byte[]> ReadAllAsync(FileId file, int max = 1 << 20)
    {
        var buffer = new byte[max];
        ReadResult r = await Fs.ReadAsync(RootCaller, file, 0, buffer);
        Assert.Equal(FsStatus.Ok, r.Status);
        return buffer[..r.Count];
    }

    protected async Task<FsStatus> SetAttrAsync(FileId file, SetAttributes attrs, Caller? caller = null) =>
        (await Fs.SetAttributesAsync(caller ?? RootCaller, file, attrs)).Status;

    protected static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i * 31 + seed);
        return data;
    }
}
