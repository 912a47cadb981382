using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;

namespace DittoFs.Storage.Tests;

/// <summary>The data-path suites with file bytes on local disk instead of in memory.</summary>
public sealed class LocalPayloadReadWriteTests : ReadWriteTests
{
    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();
    protected override IPayloadStore CreatePayload(string directory) =>
        new LocalPayloadStore(new LocalPayloadStoreOptions { Root = directory, BlockSize = 8192 });
}

public sealed class LocalPayloadSetAttrTests : SetAttrTests
{
    protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore();
    protected override IPayloadStore CreatePayload(string directory) =>
        new LocalPayloadStore(new LocalPayloadStoreOptions { Root = directory, BlockSize = 8192 });
}
