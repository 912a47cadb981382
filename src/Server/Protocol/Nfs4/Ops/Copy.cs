using DittoFs.Server.Metrics;
using DittoFs.Server.Protocol.Nfs4.Callbacks;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 7862 §15.2 COPY, §15.8 OFFLOAD_CANCEL, §15.9 OFFLOAD_STATUS, §15.13 CLONE: intra-server only.
// SAVED_FH is the source, CURRENT_FH the destination. Whole blocks share the source's objects (no bytes
// move, not even through the server); only edges and unaligned ranges are copied.
internal sealed partial class Nfs4Program
{
    /// <summary>Bytes an asynchronous COPY does between progress updates and cancellation checks (in blocks).</summary>
    private const ulong AsyncChunkBlocks = 256;

    private Offloads? _offloads;

    private Offloads Offloads => LazyInitializer.EnsureInitialized(ref _offloads, () => new Offloads(state.Boot));

    // §15.13 CLONE: block-aligned ranges (except a count reaching the source's end), same export.
    private async ValueTask<Nfs4Status> CloneAsync(Compound c)
    {
        Clone4Args args = c.Decode<Clone4Args>();
        Nfs4Status status = CheckCopy(c, ref args.SrcStateid, ref args.DstStateid, out CopyTickets tickets);
        if (status != Nfs4Status.Ok) return status;
        using CopyTickets held = tickets;
        CloneResult result = await Fs.CloneAsync(c.Current.Caller, c.Saved.Id, args.SrcOffset, c.Current.Id, args.DstOffset, args.Count, aligned: true);
        if (result.Status != FsStatus.Ok) return Map(result.Status);
        metrics?.Copied(result.Shared, result.Copied);
        return Nfs4Status.Ok;
    }

    // §15.2 COPY: synchronous when asked, or when the client has its limit of asynchronous ones running.
    private async ValueTask<Nfs4Status> CopyAsync(Compound c)
    {
        Copy4Args args = c.Decode<Copy4Args>();
        // Inter-server copy (a source server named) needs COPY_NOTIFY, which we do not offer.
        if (args.SourceServer.Length > 0) return Nfs4Status.NotSupp;
        Nfs4Status status = CheckCopy(c, ref args.SrcStateid, ref args.DstStateid, out CopyTickets tickets);
        if (status != Nfs4Status.Ok) return status;
        try
        {
            ulong count = args.Count;
            Offload? offload = null;
            if (!args.Synchronous)
            {
                // The range is checked before going asynchronous: past the source's end is INVAL in the reply, not in CB_OFFLOAD.
                FsResult<FileAttributes> attributes = await Fs.GetAttributesAsync(c.Saved.Id);
                if (!attributes.Ok) return Map(attributes.Status);
                ulong size = attributes.Value.Size;
                if (args.SrcOffset > size || (count != 0 && count > size - args.SrcOffset)) return Nfs4Status.Inval;
                if (count == 0) count = size - args.SrcOffset;
                offload = Offloads.TryStart(c.Client!.Id);
            }
            if (offload is null)
            {
                CloneResult result = await Fs.CloneAsync(c.Current.Caller, c.Saved.Id, args.SrcOffset, c.Current.Id, args.DstOffset, count, aligned: false);
                if (result.Status != FsStatus.Ok) return Map(result.Status);
                metrics?.Copied(result.Shared, result.Copied);
                return c.ReplyOk(new Copy4ResOk
                {
                    Response = new WriteResponse4 { CallbackId = [], Count = result.Count, Committed = Nfs4Const.FileSync4, WriteVerf = Fs.WriteVerifier },
                    Consecutive = true,
                    Synchronous = true,
                });
            }
            // The compound (pooled) is reset once this op returns: the copy takes its own values now, and the tickets.
            (Session session, ulong client, Caller caller, FileId source, FileId destination) = (c.Session!, c.Client!.Id, c.Current.Caller, c.Saved.Id, c.Current.Id);
            (ulong srcOffset, ulong dstOffset, CopyTickets held) = (args.SrcOffset, args.DstOffset, tickets);
            tickets = default;
            _ = Task.Run(() => RunOffloadAsync(offload, held, session, client, caller, source, srcOffset, destination, dstOffset, count));
            return c.ReplyOk(new Copy4ResOk
            {
                Response = new WriteResponse4 { CallbackId = [offload.Stateid], Count = 0, Committed = Nfs4Const.Unstable4, WriteVerf = Fs.WriteVerifier },
                Consecutive = true,
                Synchronous = false,
            });
        }
        finally
        {
            tickets.Dispose();
        }
    }

    /// <summary>
    /// An asynchronous COPY in chunks (progress for OFFLOAD_STATUS, a chance to stop for OFFLOAD_CANCEL); the
    /// first chunk ends on a source block boundary so the others share whole blocks. Then CB_OFFLOAD.
    /// </summary>
    private async Task RunOffloadAsync(Offload offload, CopyTickets tickets, Session session, ulong client, Caller caller, FileId source, ulong sourceOffset, FileId destination, ulong destinationOffset, ulong count)
    {
        ulong done = 0;
        Nfs4Status status = Nfs4Status.Ok;
        try
        {
            ulong bs = (ulong)Math.Max(1, Fs.CloneBlockSize);
            while (done < count)
            {
                if (offload.Cancel.IsCancellationRequested)
                {
                    status = Nfs4Status.Io; // cancelled: the client asked; what was copied stays
                    break;
                }
                ulong chunk = AsyncChunkBlocks * bs - (sourceOffset + done) % bs;
                ulong n = Math.Min(chunk, count - done);
                CloneResult result = await Fs.CloneAsync(caller, source, sourceOffset + done, destination, destinationOffset + done, n, aligned: false);
                if (result.Status != FsStatus.Ok)
                {
                    status = Map(result.Status);
                    break;
                }
                metrics?.Copied(result.Shared, result.Copied);
                done += result.Count;
                Offloads.Progress(offload, done);
            }
        }
        catch (Exception)
        {
            // Nobody awaits this task: whatever went wrong reaches the client as the copy's status.
            status = Nfs4Status.ServerFault;
        }
        tickets.Dispose(); // the destination is no longer being written: delegations of both files may be granted again
        Offloads.Finish(offload, status);
        Nfs4Log.CopyFinished(logger, offload.Stateid.Id, client, destination.Inode, status, done);
        if (offload.Cancel.IsCancellationRequested) return; // cancelled: no CB_OFFLOAD (§15.8.3)
        TimeSpan timeout = TimeSpan.FromSeconds(Math.Max(1, state.LeaseSeconds));
        CallbackOutcome outcome = await CallbackClient.OffloadAsync(session, offload.Stateid, destination, status, done, Fs.WriteVerifier, timeout);
        if (!outcome.Answered) Nfs4Log.OffloadUnanswered(logger, client, offload.Stateid.Id);
    }

    /// <summary>
    /// What COPY and CLONE check before they start: both filehandles files of the same export (else XDEV),
    /// no other client's delegation in the way (DELAY, recalled: <see cref="Nfs4State.BeginCopy"/>), the source
    /// stateid good for reading it, the destination's for writing. OK comes with the tickets to dispose when done.
    /// </summary>
    private Nfs4Status CheckCopy(Compound c, ref Stateid4 src, ref Stateid4 dst, out CopyTickets tickets)
    {
        tickets = default;
        if (c.Saved.Kind != FhKind.File || c.Current.Kind != FhKind.File || !ReferenceEquals(c.Saved.Export, c.Current.Export)) return Nfs4Status.XDev;
        if (src.IsCurrent || dst.IsCurrent)
        {
            if (!c.HasCurrentStateid) return Nfs4Status.BadStateId;
            if (src.IsCurrent) src = c.CurrentStateid;
            if (dst.IsCurrent) dst = c.CurrentStateid;
        }
        Nfs4Status status = state.BeginCopy(c.Client!, c.Saved.Id, c.Current.Id, out CopyTickets held);
        if (status != Nfs4Status.Ok) return status;
        status = state.CheckIo(c.Client!, src, c.Saved.Id, write: false);
        if (status == Nfs4Status.Ok) status = state.CheckIo(c.Client!, dst, c.Current.Id, write: true);
        if (status != Nfs4Status.Ok)
        {
            held.Dispose();
            return status;
        }
        tickets = held;
        return Nfs4Status.Ok;
    }

    // §15.9 OFFLOAD_STATUS: bytes done; osr_complete once over.
    private Nfs4Status OffloadStatus(Compound c)
    {
        XdrReader reader = c.Reader();
        Stateid4 stateid = Stateid4.Read(ref reader);
        c.Consumed(reader);
        if (stateid.Boot != state.Boot) return Nfs4Status.StaleStateId;
        Nfs4Status status = Offloads.Status(c.Client!.Id, stateid, out ulong done, out Nfs4Status? complete);
        if (status != Nfs4Status.Ok) return status;
        return c.ReplyOk(new OffloadStatus4ResOk { Count = done, Complete = complete is { } s ? [(int)s] : [] });
    }

    // §15.8 OFFLOAD_CANCEL
    private Nfs4Status OffloadCancel(Compound c)
    {
        XdrReader reader = c.Reader();
        Stateid4 stateid = Stateid4.Read(ref reader);
        c.Consumed(reader);
        if (stateid.Boot != state.Boot) return Nfs4Status.StaleStateId;
        return Offloads.Cancel(c.Client!.Id, stateid);
    }
}
