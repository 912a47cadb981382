using System.Security.Cryptography;
using System.Text;
using DittoFs.Storage.Metadata;
using DittoFs.Storage.Payload;

namespace DittoFs.Storage;

/// <summary>
/// The protocol-neutral filesystem: POSIX semantics (as knfsd gives them over NFS)
/// on an <see cref="IMetadataStore"/> (inodes, entries) and an <see cref="IPayloadStore"/> (bytes).
///
/// Concurrency: a namespace change locks the inodes whose images it rewrites, in ascending inode
/// order (FileSystem.Locks.cs), held only while reading state and applying the batch; durability is
/// awaited after releasing them (group commit in the store). WRITE and SETATTR take only their file's
/// stripe lock (one of 64, keyed by inode): the stripe orders a file's writes, truncates and payload
/// delete; every batch's ExpectChangeId catches a namespace change of the same inode in between
/// (the store refuses the batch and the operation reads again). Stripes are taken before inode
/// locks, never after. Reads take no lock.
/// </summary>
public sealed partial class FileSystem : IFileSystem
{
    private const int StripeCount = 64;
    private const ulong SpaceUnit = 4096;
    // Reserved volume name (NUL cannot appear in an export name) holding the last volume id handed out.
    private static readonly byte[] VolumeCounterName = "\0volume-counter"u8.ToArray();

    private readonly IMetadataStore _store;
    private readonly IPayloadStore _payload;
    private readonly FileSystemOptions _options;
    private readonly uint _generation;
    private readonly SemaphoreSlim[] _stripes;
    // Shared store: files written through this server whose bytes other servers were not told of yet (FileSystem.Publish.cs).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, byte> _unpublished = new();
    // WRITE's metadata batch per stripe, reused by the stripe's holder (FileSystem.Data.cs).
    private readonly MetadataOp[][] _writeBatches;
    private long _lastPosition;

    public FileSystem(IMetadataStore store, IPayloadStore payload, FileSystemOptions? options = null)
    {
        _store = store;
        _payload = payload;
        _options = options ?? FileSystemOptions.Default;
        int mutations = store.MaxConcurrentMutations;
        if (mutations > 0) _mutationSlots = new SemaphoreSlim(mutations, mutations);
        _generation = _options.Generation != 0 ? _options.Generation : RandomNonZeroUInt32();
        WriteVerifier = (ulong)RandomNonZeroUInt32() << 32 | RandomNonZeroUInt32();
        _stripes = new SemaphoreSlim[StripeCount];
        _writeBatches = new MetadataOp[StripeCount][];
        for (int i = 0; i < StripeCount; i++)
        {
            _stripes[i] = new SemaphoreSlim(1, 1);
            _writeBatches[i] = new MetadataOp[2];
        }
    }

    /// <summary>Opens (recovers) the metadata store and returns a filesystem over it.</summary>
    public static async Task<FileSystem> OpenAsync(IMetadataStore store, IPayloadStore payload, FileSystemOptions? options = null)
    {
        await store.OpenAsync().ConfigureAwait(false);
        var fs = new FileSystem(store, payload, options);
        await fs.SweepOrphansAsync().ConfigureAwait(false);
        return fs;
    }

    public ulong WriteVerifier { get; }

    public ValueTask<FsResult<FileId>> GetVolumeRootAsync(string volumeName) =>
        RetryOnConflictAsync(() => GetVolumeRootOnceAsync(volumeName), FsStatus.Delay);

    private async ValueTask<FsResult<FileId>> GetVolumeRootOnceAsync(string volumeName)
    {
        if (volumeName.Length == 0 || volumeName.Contains('\0')) return FsStatus.Invalid;
        byte[] name = Encoding.UTF8.GetBytes(volumeName);
        try
        {
            VolumeRecord? existing = await _store.GetVolumeAsync(name).ConfigureAwait(false);
            if (existing is { } known) return await RootIdAsync(known).ConfigureAwait(false);

            long position;
            InodeRecord root;
            await _volumeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                existing = await _store.GetVolumeAsync(name).ConfigureAwait(false);
                if (existing is { } raced) return await RootIdAsync(raced).ConfigureAwait(false);

                VolumeRecord? counter = await _store.GetVolumeAsync(VolumeCounterName).ConfigureAwait(false);
                uint volume = (counter?.Volume ?? 0) + 1;
                root = NewInode(volume, FileType.Directory, _options.RootUid, _options.RootGid, _options.RootMode & 0xFFF, Timestamp.Now());
                root.Parent = root.Inode;
                position = await ApplyAsync([
                    MetadataOp.ExpectVolume(name, 0),
                    MetadataOp.ExpectVolume(VolumeCounterName, counter?.Volume ?? 0),
                    MetadataOp.PutInode(root),
                    MetadataOp.PutVolume(name, volume, root.Inode),
                    MetadataOp.PutVolume(VolumeCounterName, volume, 0),
                ]).ConfigureAwait(false);
            }
            finally
            {
                _volumeLock.Release();
            }
            await _store.WaitDurableAsync(position).ConfigureAwait(false);
            return new FsResult<FileId>(FsStatus.Ok, IdOf(root));
        }
        catch (IOException e)
        {
            return MapException(e);
        }
    }

    public async ValueTask<FsResult<FileAttributes>> GetAttributesAsync(FileId file)
    {
        try
        {
            var (status, inode) = await LoadAsync(file).ConfigureAwait(false);
            return status == FsStatus.Ok ? new FsResult<FileAttributes>(FsStatus.Ok, ToAttributes(inode)) : status;
        }
        catch (IOException e)
        {
            return MapException(e);
        }
    }

    public async ValueTask<FsResult<FsStats>> GetStatsAsync(FileId file)
    {
        try
        {
            var (status, _) = await LoadAsync(file).ConfigureAwait(false);
            if (status != FsStatus.Ok) return status;
            (ulong total, ulong free) = _payload.GetCapacity();
            // Inodes are not a finite resource here: report a large constant pool.
            const ulong files = 1UL << 40;
            return new FsResult<FsStats>(FsStatus.Ok, new FsStats(total, free, free, files, files, files));
        }
        catch (IOException e)
        {
            return MapException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _payload.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _mutationSlots?.Dispose();
        _renameLock.Dispose();
        _volumeLock.Dispose();
        foreach (SemaphoreSlim stripe in _stripes) stripe.Dispose();
    }

    // ---- helpers shared by the partial files ----

    /// <summary>Reads the inode a handle names; Stale if it is gone, or from another generation or volume.</summary>
    private async ValueTask<(FsStatus Status, InodeRecord Inode)> LoadAsync(FileId id)
    {
        InodeRecord? found = await _store.GetInodeAsync(id.Inode).ConfigureAwait(false);
        if (found is not { } inode || inode.Generation != id.Generation || inode.Volume != id.Volume)
        {
            return (FsStatus.Stale, default);
        }
        return (FsStatus.Ok, inode);
    }

    private async ValueTask<FsResult<FileId>> RootIdAsync(VolumeRecord volume)
    {
        InodeRecord? root = await _store.GetInodeAsync(volume.RootInode).ConfigureAwait(false);
        return root is { } r ? new FsResult<FileId>(FsStatus.Ok, IdOf(r)) : FsStatus.IoError;
    }

    private async ValueTask<long> ApplyAsync(MetadataOp[] ops) => ThrowIfConflict(await TryApplyAsync(ops).ConfigureAwait(false));

    /// <summary>Applies a batch; MetadataConflict.Position if the store refused it (a precondition did not hold).</summary>
    private async ValueTask<long> TryApplyAsync(MetadataOp[] ops)
    {
        long position = await _store.ApplyAsync(ops).ConfigureAwait(false);
        if (position == MetadataConflict.Position) return position;
        long seen = Volatile.Read(ref _lastPosition);
        while (position > seen)
        {
            long prior = Interlocked.CompareExchange(ref _lastPosition, position, seen);
            if (prior == seen) break;
            seen = prior;
        }
        return position;
    }

    private static int StripeIndexOf(ulong inode) => (int)(inode % StripeCount);

    private SemaphoreSlim StripeOf(ulong inode) => _stripes[StripeIndexOf(inode)];

    /// <summary>Frees a file's bytes once its inode deletion is durable. A failure only leaks space.</summary>
    private async ValueTask DeletePayloadAsync(ulong inode)
    {
        SemaphoreSlim stripe = StripeOf(inode);
        await stripe.WaitAsync().ConfigureAwait(false);
        try
        {
            await _payload.DeleteAsync(inode).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Leaked blocks of an unreachable inode: harmless, never reused.
        }
        finally
        {
            stripe.Release();
        }
    }

    private InodeRecord NewInode(uint volume, FileType type, uint uid, uint gid, uint mode, Timestamp now)
    {
        var inode = new InodeRecord
        {
            Inode = _store.AllocateInode(),
            Generation = _generation,
            Volume = volume,
            Type = type,
            Mode = mode,
            LinkCount = type == FileType.Directory ? 2u : 1u,
            Uid = uid,
            Gid = gid,
            Size = type == FileType.Directory ? SpaceUnit : 0,
            ChangeId = 1,
            NextCookie = InodeRecord.FirstCookie,
        };
        inode.SetAtime(now);
        inode.SetMtime(now);
        inode.SetCtime(now);
        inode.SetBtime(now);
        return inode;
    }

    /// <summary>
    /// The READDIR cookie of a new entry of <paramref name="dir"/>: its counter, or on a shared store an id
    /// from the leased ranges (unique, rising per server), so a create need not read the directory's latest image.
    /// </summary>
    private ulong NextCookie(ref InodeRecord dir) => _store.IsShared ? _store.AllocateInode() : dir.NextCookie++;

    /// <summary>
    /// The directory's part of a batch, from its image <paramref name="before"/> (read under its lock) to
    /// <paramref name="after"/>: the new image, expected to replace the one read; or on a shared store a
    /// delta of its entry and link counts and times (AddToDirectory), which needs no image read and no lock,
    /// so changes of different names in one directory (on any server) never conflict on its record.
    /// </summary>
    private static void ChangeDirectory(List<MetadataOp> ops, in InodeRecord before, in InodeRecord after, bool byDelta)
    {
        if (byDelta)
        {
            ops.Add(MetadataOp.AddToDirectory(after.Inode, (long)after.EntryCount - (long)before.EntryCount,
                (long)after.LinkCount - before.LinkCount, after.Mtime));
            return;
        }
        ops.Add(MetadataOp.ExpectChangeId(before.Inode, before.ChangeId));
        ops.Add(MetadataOp.PutInode(after));
    }

    /// <summary>Records a change of the inode's attributes (ctime, change id).</summary>
    private static void Touch(ref InodeRecord inode, Timestamp now)
    {
        inode.SetCtime(now);
        inode.ChangeId++;
    }

    /// <summary>Records a change of the inode's content (mtime, ctime, change id).</summary>
    private static void TouchContent(ref InodeRecord inode, Timestamp now)
    {
        inode.SetMtime(now);
        Touch(ref inode, now);
    }

    private static FileId IdOf(in InodeRecord inode) => new(inode.Volume, inode.Inode, inode.Generation);

    private static FileAttributes ToAttributes(in InodeRecord inode) => new()
    {
        Id = IdOf(inode),
        Type = inode.Type,
        Mode = inode.Mode,
        LinkCount = inode.LinkCount,
        Uid = inode.Uid,
        Gid = inode.Gid,
        Size = inode.Size,
        SpaceUsed = inode.Type == FileType.Regular ? (inode.Size + SpaceUnit - 1) / SpaceUnit * SpaceUnit : SpaceUnit,
        RdevMajor = inode.RdevMajor,
        RdevMinor = inode.RdevMinor,
        AccessTime = inode.Atime,
        ModifyTime = inode.Mtime,
        ChangeTime = inode.Ctime,
        BirthTime = inode.Btime,
        ChangeId = inode.ChangeId,
        ParentInode = inode.Type == FileType.Directory ? inode.Parent : 0,
    };

    private static PreOpAttributes PreOp(in InodeRecord inode) => new(inode.Size, inode.Mtime, inode.Ctime);

    private static WccData Wcc(in InodeRecord before, in InodeRecord after) => new(PreOp(before), ToAttributes(after));

    /// <summary>Wcc of an unchanged object (an operation that failed after reading it).</summary>
    private static WccData Unchanged(in InodeRecord inode) => new(PreOp(inode), ToAttributes(inode));

    private static FsStatus MapException(IOException e) =>
        e is StorageBusyException ? FsStatus.Delay
        : e is StorageFullException || StorageFullException.IsDiskFull(e) ? FsStatus.NoSpace
        : FsStatus.IoError;

    private static uint RandomNonZeroUInt32()
    {
        uint value;
        do value = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        while (value == 0);
        return value;
    }
}
