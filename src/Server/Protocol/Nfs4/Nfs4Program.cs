using System.Buffers.Binary;
using System.Diagnostics;
using DittoFs.Server.Exports;
using DittoFs.Server.Metrics;
using DittoFs.Server.Options;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Server.Rpc;
using DittoFs.Storage;
using DittoFs.Xdr;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Nfs4;

/// <summary>
/// NFS version 4, minor versions 1 (RFC 8881) and 2 (RFC 7862), program 100003 version 4 on the
/// NFSv3 port. Procedure 1 is COMPOUND: its operations run in order against a
/// current filehandle until one fails; each writes its result straight into
/// the pooled reply buffer (no per-op allocation). One file per operation
/// (Ops/*.cs) and one row in the operation table (Nfs4Operations.cs), which
/// also drives the checks before each operation and its metrics.
///
/// <code>
/// COMPOUND4args: utf8str_cs tag | uint32 minorversion | nfs_argop4 argarray&lt;&gt;
/// COMPOUND4res:  nfsstat4 status | utf8str_cs tag | nfs_resop4 resarray&lt;&gt;
/// nfs_argop4:    nfs_opnum4 argop | (op arguments)
/// nfs_resop4:    nfs_opnum4 resop | nfsstat4 status | (op result)
/// </code>
/// </summary>
internal sealed partial class Nfs4Program(
    StorageHost storage, Nfs4State state, IOptions<DittoFsOptions> options, ILogger<Nfs4Program> logger, NfsMetrics? metrics = null) : IRpcProgram
{
    /// <summary>The most operations a session may negotiate per COMPOUND (ca_maxoperations).</summary>
    public const uint MaxOperations = 256;

    private static readonly DefaultObjectPool<Compound> s_pool = new(new DefaultPooledObjectPolicy<Compound>(), 256);
    private PseudoFs? _pseudo;

    public uint Program => RpcPrograms.Nfs;
    public uint LowVersion => 4;
    public uint HighVersion => 4;

    private IFileSystem Fs => storage.FileSystem;

    private DittoFsOptions Options => options.Value;

    /// <summary>The pseudo-fs of the exports served now: rebuilt (from the previous one, see <see cref="PseudoFs"/>) after a runtime change.</summary>
    private PseudoFs Pseudo
    {
        get
        {
            ExportTable table = storage.Exports;
            PseudoFs? current = Volatile.Read(ref _pseudo);
            if (current is not null && ReferenceEquals(current.Table, table)) return current;
            var built = new PseudoFs(table.All, current) { Table = table };
            // Two threads may build at once from the same previous tree: the same inodes either way.
            PseudoFs? raced = Interlocked.CompareExchange(ref _pseudo, built, current);
            return ReferenceEquals(raced, current) ? built : raced!;
        }
    }

    public ValueTask HandleAsync(RpcCall call)
    {
        switch (call.Procedure)
        {
            case Nfs4Const.ProcNull:
                call.ReplyVoid();
                return ValueTask.CompletedTask;
            case Nfs4Const.ProcCompound:
                return CompoundAsync(call);
            default:
                call.ReplyAccepted(AcceptStatus.ProcedureUnavailable);
                return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// An NFSv4.0 COMPOUND goes through the duplicate request cache: 4.0 has no session slot, so a REMOVE or
    /// RENAME retransmitted on a new connection would run twice (ganesha caches 4.0 compounds the same way).
    /// One that changed nothing is kept out once it ran (<see cref="RpcCall.KeepOutOfReplyCache"/>): READs
    /// are idempotent and big, and the ops with an owner's seqid replay through the owner (RFC 7530 §9.1.7).
    /// 4.1 and 4.2 retransmissions are answered by their session's slot.
    /// </summary>
    public bool IsNonIdempotent(RpcCall call)
    {
        if (call.Procedure != Nfs4Const.ProcCompound) return false;
        ReadOnlySpan<byte> args = call.Arguments.Span;
        if (args.Length < 8) return false;
        uint tag = BinaryPrimitives.ReadUInt32BigEndian(args);
        if (tag > Nfs4Const.MaxTag) return false;
        int minor = 4 + (int)((tag + 3) & ~3u);
        return args.Length >= minor + 4 && BinaryPrimitives.ReadUInt32BigEndian(args[minor..]) == 0;
    }

    private async ValueTask CompoundAsync(RpcCall call)
    {
        ReadOnlyMemory<byte> args = call.Arguments;
        ReadOnlyMemory<byte> tag;
        uint minor;
        int count;
        int position;
        try
        {
            var reader = new XdrReader(args);
            tag = reader.ReadOpaqueMemory(Nfs4Const.MaxTag);
            minor = reader.ReadUInt32();
            count = (int)Math.Min(reader.ReadUInt32(), int.MaxValue);
            position = (int)reader.Consumed;
        }
        catch (XdrException)
        {
            call.ReplyAccepted(AcceptStatus.GarbageArgs);
            return;
        }

        Buffers.ReplyBuffer reply = BeginCompoundReply(call, tag.Span, out int start, out int countOffset);
        // Minor version 0 (RFC 7530, no sessions: Ops/ClientId40.cs), 1 (RFC 8881) and 2 (RFC 7862) share the
        // operations and state; the operation table says which ops each has.
        if (minor > Nfs4Const.MinorVersion2)
        {
            Patch(reply, start, Nfs4Status.MinorVersMismatch, countOffset, 0);
            return;
        }

        Compound c = s_pool.Get();
        c.Call = call;
        c.Reply = reply;
        c.Args = args;
        c.Position = position;
        c.OpCount = count;
        c.Minor = minor;
        Nfs4Status status = Nfs4Status.Ok;
        int results = 0;
        bool completed = false;
        bool changes = false;
        try
        {
            for (int i = 0; i < count; i++)
            {
                c.OpIndex = i;
                if (c.Position + 4 > args.Length)
                {
                    status = Nfs4Status.BadXdr;
                    break;
                }
                uint op = BinaryPrimitives.ReadUInt32BigEndian(args.Span[c.Position..]);
                c.Position += 4;
                int opStart = reply.BodyLength;
                long opTimestamp = metrics is { Enabled: true } ? Stopwatch.GetTimestamp() : 0;
                Nfs4Operation operation = Describe(op, minor);
                WriteWord(reply, (uint)operation.Op);
                c.Written = false;
                changes |= operation.Has(Nfs4Flags.Modifies);
                status = operation == s_illegal ? Nfs4Status.OpIllegal : Check(c, operation);
                if (status == Nfs4Status.Ok)
                {
                    try
                    {
                        status = await operation.Handler(this, c);
                    }
                    catch (XdrException)
                    {
                        status = Nfs4Status.BadXdr;
                        c.Written = false;
                    }
                }
                if (c.Replay is { } replay)
                {
                    // A retry of the slot's last request: the cached reply, byte for byte.
                    reply.Truncate(start);
                    WriteRaw(reply, replay.Cache.AsSpan(0, replay.CacheLength));
                    state.EndReplay(replay);
                    Record(c, operation, status, opTimestamp);
                    completed = true;
                    return;
                }
                if (!c.Written)
                {
                    if (status != Nfs4Status.Ok && operation.Failed is { } failed) failed(c, status);
                    else WriteWord(reply, (uint)status);
                }
                // 4.0: an op with an owner's seqid leaves its reply with the owner, for a retransmission (RFC 7530 §9.1.7).
                if (c.SeqOwner is { } seqOwner)
                {
                    state.EndSeqid(seqOwner, c.SeqidUsed, status, reply.WrittenBody[(opStart + 4)..], c.Current.Id);
                    c.SeqOwner = null;
                }
                // §2.10.6.4: a reply over ca_maxresponsesize (RPC header included), or one the client asked to
                // cache that does not fit the slot, fails at the op that made it too big.
                Nfs4Status tooBig = c.Session is not { } session ? Nfs4Status.Ok
                    : reply.BodyLength > session.Fore.MaxResponseSize ? Nfs4Status.RepTooBig
                    : c.CacheThis && reply.BodyLength - start > session.Fore.MaxResponseSizeCached ? Nfs4Status.RepTooBigToCache
                    : Nfs4Status.Ok;
                if (tooBig != Nfs4Status.Ok)
                {
                    reply.Truncate(opStart);
                    WriteWord(reply, (uint)operation.Op);
                    status = tooBig;
                    WriteWord(reply, (uint)status);
                }
                Record(c, operation, status, opTimestamp);
                results++;
                if (status != Nfs4Status.Ok)
                {
                    if (status is not (Nfs4Status.NoEnt or Nfs4Status.Exist)) Nfs4Log.OpFailed(logger, op, status);
                    break;
                }
            }
            Patch(reply, start, status, countOffset, results);
            completed = true;
            if (minor == 0 && !changes) call.KeepOutOfReplyCache = true;
        }
        finally
        {
            FinishSlot(c, reply, start, completed);
            c.Reset();
            s_pool.Return(c);
        }
    }

    /// <summary>
    /// RPC header, then COMPOUND4res with status and result count to patch later. By hand, not a generated
    /// type: COMPOUND4res is { nfsstat4 status; utf8str_cs tag; nfs_resop4 resarray&lt;&gt;; } and the results are
    /// written one by one as the ops run, so status and count are known only at the end (patched in place).
    /// </summary>
    private static Buffers.ReplyBuffer BeginCompoundReply(RpcCall call, ReadOnlySpan<byte> tag, out int start, out int countOffset)
    {
        XdrWriter header = call.BeginSuccess();
        header.Flush();
        Buffers.ReplyBuffer reply = call.ReplyBuffer!;
        start = reply.BodyLength;
        countOffset = start + 4 + 4 + ((tag.Length + 3) & ~3);
        var writer = new XdrWriter(reply);
        writer.WriteInt32((int)Nfs4Status.Ok);
        writer.WriteOpaque(tag);
        writer.WriteInt32(0);
        writer.Flush();
        return reply;
    }

    private static void WriteWord(Buffers.ReplyBuffer reply, uint value)
    {
        var writer = new XdrWriter(reply);
        writer.WriteUInt32(value);
        writer.Flush();
    }

    private static void WriteRaw(Buffers.ReplyBuffer reply, ReadOnlySpan<byte> bytes)
    {
        var writer = new XdrWriter(reply);
        writer.WriteFixedOpaque(bytes);
        writer.Flush();
    }

    private static void Patch(Buffers.ReplyBuffer reply, int start, Nfs4Status status, int countOffset, int count)
    {
        Span<byte> body = reply.WrittenBody;
        BinaryPrimitives.WriteInt32BigEndian(body[start..], (int)status);
        BinaryPrimitives.WriteInt32BigEndian(body[countOffset..], count);
    }

    /// <summary>Hands the reply to the slot (kept for retries when it fits) and frees the slot; nothing for a replay or an aborted compound.</summary>
    private void FinishSlot(Compound c, Buffers.ReplyBuffer reply, int start, bool completed)
    {
        if (c.Slot is not { } slot) return;
        ReadOnlySpan<byte> body = completed && c.Replay is null ? reply.WrittenBody[start..] : default;
        state.EndSequence(c.Session!, slot, body, cache: completed && c.Replay is null);
    }

    /// <summary>Counts one operation of the compound by its RFC name and nfsstat4 name (tags from the table: nothing allocated).</summary>
    /// <summary>The export label is the current filehandle's after the operation (PUTFH, LOOKUP into an export count there).</summary>
    private void Record(Compound c, Nfs4Operation operation, Nfs4Status status, long startTimestamp)
    {
        if (startTimestamp != 0)
        {
            metrics!.OperationCompleted(NfsMetrics.Version4(c.Minor), operation.OpTag,
                NfsStatusNames.Nfs4((int)status), ExportTag(c.Current), startTimestamp);
        }
    }

    private static KeyValuePair<string, object?> ExportTag(in Fh fh) =>
        fh.Export?.MetricTag ?? (fh.Kind == FhKind.Pseudo ? NfsMetrics.ExportPseudo : NfsMetrics.ExportNone);

    // ---- helpers shared by the operations ---------------------------------------------------

    public static Nfs4Status Map(FsStatus status) => status switch
    {
        FsStatus.Ok => Nfs4Status.Ok,
        FsStatus.NotPermitted => Nfs4Status.Perm,
        FsStatus.NotFound => Nfs4Status.NoEnt,
        FsStatus.IoError => Nfs4Status.Io,
        FsStatus.Access => Nfs4Status.Access,
        FsStatus.Exists => Nfs4Status.Exist,
        FsStatus.CrossDevice => Nfs4Status.XDev,
        FsStatus.NotDirectory => Nfs4Status.NotDir,
        FsStatus.IsDirectory => Nfs4Status.IsDir,
        FsStatus.Invalid => Nfs4Status.Inval,
        FsStatus.FileTooBig => Nfs4Status.FBig,
        FsStatus.NoSpace => Nfs4Status.NoSpc,
        FsStatus.ReadOnly => Nfs4Status.RoFs,
        FsStatus.TooManyLinks => Nfs4Status.MLink,
        FsStatus.NameTooLong => Nfs4Status.NameTooLong,
        FsStatus.NotEmpty => Nfs4Status.NotEmpty,
        FsStatus.Stale => Nfs4Status.Stale,
        FsStatus.BadHandle => Nfs4Status.BadHandle,
        FsStatus.NotSupported => Nfs4Status.NotSupp,
        FsStatus.BadCookie => Nfs4Status.BadCookie,
        FsStatus.NotSync => Nfs4Status.Inval,
        FsStatus.Delay => Nfs4Status.Delay,
        FsStatus.BadType => Nfs4Status.BadType,
        FsStatus.NoData => Nfs4Status.NoXattr,
        FsStatus.TooBig => Nfs4Status.Xattr2Big,
        FsStatus.NoSuchAddress => Nfs4Status.NxIo,
        _ => Nfs4Status.ServerFault,
    };

    /// <summary>Resolves a handle's bytes: a pseudo-fs node, or a file of an export as this client and caller may use it.</summary>
    private Nfs4Status ResolveHandle(Compound c, ReadOnlySpan<byte> handle, out Fh fh)
    {
        fh = default;
        HandleStatus status = HandleResolver.Resolve(storage.Exports, c.Call, handle, out FileId id, out ResolvedHandle target);
        if (status == HandleStatus.NoExport && id.Volume == PseudoFs.Volume)
        {
            if (Pseudo.Find(id.Inode) is null) return Nfs4Status.Stale;
            fh = new Fh { Kind = FhKind.Pseudo, Id = id, Caller = c.Call.Caller };
            return Nfs4Status.Ok;
        }
        return ToFh(status, target, out fh);
    }

    /// <summary>An export's file reached by name (the pseudo-fs into an export's root): the export admits this client and caller or not.</summary>
    private static Nfs4Status ToExportFh(Compound c, Export export, FileId id, out Fh fh) =>
        ToFh(HandleResolver.Admit(export, id, c.Call, out ResolvedHandle target), target, out fh);

    private static Nfs4Status ToFh(HandleStatus status, in ResolvedHandle target, out Fh fh)
    {
        fh = status == HandleStatus.Ok ? new Fh { Kind = FhKind.File, Id = target.Id, Export = target.Export, Caller = target.Caller } : default;
        return status switch
        {
            HandleStatus.Ok => Nfs4Status.Ok,
            HandleStatus.BadHandle => Nfs4Status.BadHandle,
            HandleStatus.NoExport => Nfs4Status.Stale,
            HandleStatus.ClientRefused => Nfs4Status.Access,
            _ => Nfs4Status.WrongSec,
        };
    }

    /// <summary>NOFILEHANDLE without a current filehandle; ROFS for a change in the pseudo-fs or a read-only export.</summary>
    private static Nfs4Status NeedFh(Compound c, bool write = false)
    {
        if (c.Current.IsNone) return Nfs4Status.NoFileHandle;
        if (write && (c.Current.Kind == FhKind.Pseudo || c.Current.Export!.ReadOnly)) return Nfs4Status.RoFs;
        return Nfs4Status.Ok;
    }

    /// <summary>RFC 8881 §18.*: component4 checks as knfsd's check_filename: empty → INVAL, too long → NAMETOOLONG, "." ".." or '/' → BADNAME.</summary>
    private static Nfs4Status CheckName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0) return Nfs4Status.Inval;
        if (name.Length > FsLimits.MaxNameLength) return Nfs4Status.NameTooLong;
        if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8) || name.IndexOfAny((byte)'/', (byte)0) >= 0) return Nfs4Status.BadName;
        return Nfs4Status.Ok;
    }

    /// <summary>The attributes of a filehandle plus what fattr4 needs besides (fsid, mounted-on fileid, statistics).</summary>
    private async ValueTask<(Nfs4Status Status, AttrSource Source)> AttrSourceAsync(Fh fh, Bitmap4 requested, uint minor)
    {
        var source = new AttrSource
        {
            LeaseSeconds = state.LeaseSeconds, MaxTransfer = (ulong)Options.MaxTransferSize, Minor = minor, CloneBlockSize = (uint)Fs.CloneBlockSize,
        };
        if (fh.Kind == FhKind.Pseudo)
        {
            PseudoFs.Node node = Pseudo.Find(fh.Id.Inode)!;
            source.File = Pseudo.Attributes(node);
            source.MountedOnFileId = fh.Id.Inode;
            return (Nfs4Status.Ok, source);
        }
        FsResult<FileAttributes> attributes = await Fs.GetAttributesAsync(fh.Id, countSpace: !(requested & Attr.NeedSpaceUsed).IsEmpty);
        if (!attributes.Ok) return (Map(attributes.Status), source);
        source.File = attributes.Value;
        source.FsidMajor = fh.Id.Volume;
        source.MountedOnFileId = fh.Id.Inode;
        if (fh.Id == fh.Export!.Root && Pseudo.MountPoint(fh.Export) is { } mount) source.MountedOnFileId = mount.Entry.FileId;
        if ((requested & Attr.NeedStats).IsEmpty) return (Nfs4Status.Ok, source);
        FsResult<FsStats> stats = await Fs.GetStatsAsync(fh.Id);
        if (stats.Ok) source.Stats = stats.Value;
        return (Nfs4Status.Ok, source);
    }

    /// <summary>change_info4: we cannot promise atomicity (atomic = false), so the client revalidates the directory.</summary>
    private static void WriteChangeInfo(ref XdrWriter writer, in Storage.WccData wcc) => ChangeInfo(wcc).Encode(ref writer);

    private static ChangeInfo4 ChangeInfo(in Storage.WccData wcc)
    {
        ulong after = wcc.After?.ChangeId ?? 0;
        return new ChangeInfo4 { Atomic = false, Before = after == 0 ? 0 : after - 1, After = after };
    }
}
