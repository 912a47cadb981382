using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;

namespace DittoFs.Storage.Tests.Faster;

// The shared filesystem suites, run on FasterMetadataStore (small memory so each test opens fast).
internal static class FasterFileSystemStore
{
    /// <summary><paramref name="pageSize"/>: a batch must fit one WAL page and a value one KV page (the xattr tests write 128 KiB records; the default pages are 4 MiB).</summary>
    public static IMetadataStore Create(string directory, long pageSize = 1L << 16) => new FasterMetadataStore(new FasterMetadataStoreOptions
    {
        DataDirectory = directory,
        KvMemorySize = 1L << 20,
        KvPageSize = pageSize,
        KvIndexSize = 1L << 16,
        WalPageSize = pageSize,
        WalMemorySize = 1L << 20,
        CheckpointInterval = TimeSpan.Zero,
    });
}

public sealed class FasterCreateTests : CreateTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterLinkTests : LinkTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterNamesTests : NamesTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterRemoveTests : RemoveTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterRenameTests : RenameTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterSetAttrTests : SetAttrTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterReadWriteTests : ReadWriteTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterReadDirTests : ReadDirTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterPermissionsTests : PermissionsTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterSparseTests : SparseTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory); }
public sealed class FasterXattrTests : XattrTests { protected override IMetadataStore CreateStore(string directory) => FasterFileSystemStore.Create(directory, pageSize: 1L << 18); }
public sealed class FasterNamespaceConcurrencyTests : NamespaceConcurrencyTests { protected override IMetadataStore CreateInnerStore(string directory) => FasterFileSystemStore.Create(directory); }
