using System.Security.Cryptography;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// One asynchronous COPY (RFC 7862 §4.8): its stateid (the wr_callback_id), the client that asked,
/// bytes done so far, and once over its status. Fields change under the table's lock.
/// </summary>
internal sealed class Offload(Stateid4 stateid, ulong client)
{
    public readonly Stateid4 Stateid = stateid;
    public readonly ulong Client = client;
    public readonly CancellationTokenSource Cancel = new();
    public ulong Done;
    public bool Finished;
    public Nfs4Status Status;
}

/// <summary>
/// The asynchronous copies in flight and recently finished, by stateid, with their own lock (nothing
/// here is open or lock state: a copy stateid is good only for OFFLOAD_STATUS, OFFLOAD_CANCEL and the
/// CB_OFFLOAD that reports it). A client has at most <see cref="MaxPerClient"/> copies running; more
/// are done synchronously. Finished ones are kept (the newest <see cref="MaxFinished"/>) so an
/// OFFLOAD_STATUS after the CB_OFFLOAD still finds them.
/// </summary>
internal sealed class Offloads(uint boot)
{
    public const int MaxPerClient = 4;
    private const int MaxFinished = 256;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Offload> _byId = [];
    private readonly Queue<ulong> _finished = new();

    /// <summary>A new running copy for the client, or null if it has <see cref="MaxPerClient"/> running already.</summary>
    public Offload? TryStart(ulong client)
    {
        lock (_lock)
        {
            if (_byId.Values.Count(o => o.Client == client && !o.Finished) >= MaxPerClient) return null;
            ulong id;
            do id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)); while (id == 0 || _byId.ContainsKey(id));
            var offload = new Offload(new Stateid4(1, boot, id), client);
            _byId[id] = offload;
            return offload;
        }
    }

    public void Progress(Offload offload, ulong done)
    {
        lock (_lock) offload.Done = done;
    }

    public void Finish(Offload offload, Nfs4Status status)
    {
        lock (_lock)
        {
            offload.Finished = true;
            offload.Status = status;
            _finished.Enqueue(offload.Stateid.Id);
            while (_finished.Count > MaxFinished) _byId.Remove(_finished.Dequeue());
        }
    }

    /// <summary>The client's copy of this stateid: bytes done and, once over, its status. BAD_STATEID for another's or an unknown one.</summary>
    public Nfs4Status Status(ulong client, in Stateid4 stateid, out ulong done, out Nfs4Status? complete)
    {
        lock (_lock)
        {
            done = 0;
            complete = null;
            if (!TryFindLocked(client, stateid, out Offload? offload)) return Nfs4Status.BadStateId;
            done = offload.Done;
            complete = offload.Finished ? offload.Status : null;
            return Nfs4Status.Ok;
        }
    }

    /// <summary>OFFLOAD_CANCEL: a running copy stops at its next chunk; the stateid is forgotten either way.</summary>
    public Nfs4Status Cancel(ulong client, in Stateid4 stateid)
    {
        lock (_lock)
        {
            if (!TryFindLocked(client, stateid, out Offload? offload)) return Nfs4Status.BadStateId;
            if (!offload.Finished) offload.Cancel.Cancel();
            else _byId.Remove(stateid.Id);
            return Nfs4Status.Ok;
        }
    }

    private bool TryFindLocked(ulong client, in Stateid4 stateid, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Offload? offload) =>
        _byId.TryGetValue(stateid.Id, out offload) && offload.Stateid.Boot == stateid.Boot && offload.Client == client;
}
