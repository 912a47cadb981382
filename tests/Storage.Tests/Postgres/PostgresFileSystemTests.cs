using DittoFs.Storage.Metadata;
using DittoFs.Storage.Metadata.Postgres;
using DittoFs.Storage.Tests.Infrastructure;

namespace DittoFs.Storage.Tests.Postgres;

// The shared filesystem suites, run on PostgresMetadataStore: a fresh database for each test.
// (Inherited [Fact]s cannot skip: without PostgreSQL binaries these fail, naming what is missing.)
internal static class PostgresFileSystemStore
{
    public static IMetadataStore Create() =>
        new PostgresMetadataStore(new PostgresMetadataStoreOptions { ConnectionString = PostgresServer.Shared.CreateDatabase() });
}

public sealed class PostgresCreateTests : CreateTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresLinkTests : LinkTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresNamesTests : NamesTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresRemoveTests : RemoveTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresRenameTests : RenameTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresSetAttrTests : SetAttrTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresReadWriteTests : ReadWriteTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresReadDirTests : ReadDirTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresPermissionsTests : PermissionsTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresSparseTests : SparseTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }
public sealed class PostgresXattrTests : XattrTests { protected override IMetadataStore CreateStore(string directory) => PostgresFileSystemStore.Create(); }

// Every change is a round trip or more here: a shorter random run.
public sealed class PostgresNamespaceConcurrencyTests : NamespaceConcurrencyTests
{
    protected override int OperationsPerWorker => 60;
    protected override IMetadataStore CreateInnerStore(string directory) => PostgresFileSystemStore.Create();
}
