using DittoFs.Storage.Metadata;

namespace DittoFs.Storage.Tests;

// The filesystem suites over the in-memory metadata store. Another store reuses
// them by deriving from the abstract suites and overriding CreateStore.
public sealed class InMemoryCreateTests : CreateTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryNamesTests : NamesTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryRemoveTests : RemoveTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryRenameTests : RenameTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryLinkTests : LinkTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemorySetAttrTests : SetAttrTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryReadWriteTests : ReadWriteTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryReadDirTests : ReadDirTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryPermissionsTests : PermissionsTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemorySparseTests : SparseTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryXattrTests : XattrTests { protected override IMetadataStore CreateStore(string directory) => new InMemoryMetadataStore(); }
public sealed class InMemoryNamespaceConcurrencyTests : NamespaceConcurrencyTests { protected override IMetadataStore CreateInnerStore(string directory) => new InMemoryMetadataStore(); }
