using DittoFs.Storage.Cache;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;
using DittoFs.Storage.Tests.S3;
using Xunit;

namespace DittoFs.Storage.Tests.Cache;

/// <summary>The data-path suites with file bytes in the block cache in front of S3 (moto).</summary>
[Collection(MotoCollection.Name)]
public sealed class CachedPayloadReadWriteTests(MotoServer moto) : ReadWriteTests
{
    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();
    protected override IPayloadStore CreatePayload(string directory) =>
        CacheTestSupport.Open(CacheTestSupport.Options(directory, 8192), CacheTestSupport.ObjectStore(moto.Endpoint, moto.CreateBucket()), Store);
}

[Collection(MotoCollection.Name)]
public sealed class CachedPayloadSetAttrTests(MotoServer moto) : SetAttrTests
{
    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();
    protected override IPayloadStore CreatePayload(string directory) =>
        CacheTestSupport.Open(CacheTestSupport.Options(directory, 8192), CacheTestSupport.ObjectStore(moto.Endpoint, moto.CreateBucket()), Store);
}

/// <summary>A cache full of dirty data with S3 unreachable: WRITE answers Delay (NFS3ERR_JUKEBOX), never an error.</summary>
[Collection(MotoCollection.Name)]
public sealed class CachedPayloadBackPressureTests(MotoServer moto) : FileSystemTestBase, IDisposable
{
    private readonly TcpProxy _proxy = new(moto.Port);

    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();

    protected override IPayloadStore CreatePayload(string directory)
    {
        _proxy.Cut();
        return CacheTestSupport.Open(CacheTestSupport.Options(directory, 8192, blocks: 4), CacheTestSupport.ObjectStore(_proxy.Endpoint, moto.CreateBucket()), Store);
    }

    public void Dispose() => _proxy.Dispose();

    [Fact]
    public async Task WriteAnswersDelayUntilTheStoreIsBack()
    {
        FileAttributes file = await CreateAsync(Root, "f");
        byte[] block = new byte[8192];
        for (int i = 0; i < 4; i++) Assert.Equal(FsStatus.Ok, (await WriteAsync(file.Id, (ulong)(i * 8192), block)).Status);
        Assert.Equal(FsStatus.Ok, (await Fs.CommitAsync(file.Id, 0, 0)).Status);
        WriteResult delayed = await WriteAsync(file.Id, 4 * 8192, block);
        Assert.Equal(FsStatus.Delay, delayed.Status);
        Assert.Equal(4UL * 8192, (await AttrAsync(file.Id)).Size); // the refused write changed nothing
        _proxy.Restore();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        FsStatus status;
        do
        {
            await Task.Delay(50);
            status = (await WriteAsync(file.Id, 4 * 8192, block)).Status;
        }
        while (status == FsStatus.Delay && DateTime.UtcNow < deadline);
        Assert.Equal(FsStatus.Ok, status);
    }
}
