using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// The change tickets of a COPY or CLONE under way (from <see cref="Nfs4State.BeginCopy"/>): no delegation of the
/// source or the destination is granted until it is disposed, which an asynchronous copy does when it ends.
/// </summary>
internal readonly struct CopyTickets(ChangeTicket source, ChangeTicket destination) : IDisposable
{
    public void Dispose()
    {
        source.Dispose();
        destination.Dispose();
    }
}

// COPY and CLONE (RFC 7862 §15.2, §15.13) read the source and write the destination for the client, so they
// conflict as its READ of the one and WRITE of the other would (RFC 8881 §10.4.1): another client's write
// delegation of the source may hold bytes not yet written back, and any other client's delegation of the
// destination caches what the copy replaces. Both files are checked in one transition, so both recalls go out
// with the first DELAY rather than one per retry.
internal sealed partial class Nfs4State
{
    /// <summary>
    /// DELAY while another client holds a write delegation of <paramref name="source"/> or any delegation of
    /// <paramref name="destination"/> (each recalled now); else OK with tickets that keep delegations of both
    /// from being granted until the copy is over (an asynchronous one outlives its request).
    /// </summary>
    public Nfs4Status BeginCopy(ClientRecord client, FileId source, FileId destination, out CopyTickets tickets)
    {
        tickets = default;
        if (!_options.Delegations) return Nfs4Status.Ok;
        List<DelegationState>? recalls = null;
        bool conflict;
        lock (_lock)
        {
            conflict = Conflicts(client, source, change: false, ref recalls);
            conflict |= Conflicts(client, destination, change: true, ref recalls);
            if (!conflict)
            {
                _changing[source] = _changing.GetValueOrDefault(source) + 1;
                _changing[destination] = _changing.GetValueOrDefault(destination) + 1;
            }
        }
        SendRecalls(recalls);
        if (conflict) return Nfs4Status.Delay;
        tickets = new CopyTickets(new ChangeTicket(this, source), new ChangeTicket(this, destination));
        return Nfs4Status.Ok;
    }
}
