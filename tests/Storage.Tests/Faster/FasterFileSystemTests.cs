using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Faster;

namespace DittoFs.Storage.Tests.Faster;

// The shared filesystem suites, run on FasterMetadataStore (small memory so each test opens fast).
internal static class FasterFileSystemStore
{
    public static IMetadataStore Create(string directory) => new FasterMetadataStore(new FasterMetadataStoreOptions
    {
        DataDirectory = directory,
        KvMemorySize = 1L << 20,
        KvPageSize = 1L << 16,
        KvIndexSize = 1L << 16,
        WalPageSize = 1L << 16,
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
