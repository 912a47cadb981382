using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

// NFSv3 callers and NFSv4.1 delegations (RFC 8881 §10.4.1 across versions): a v3 change of a file a v4.1 client
// holds a delegation of (or a read of a write-delegated one) recalls it and answers NFS3ERR_JUKEBOX until it is
// returned, as knfsd does; the check and the change are one transition of the NFSv4 state (a ticket).
internal sealed partial class Nfs3Program
{
    /// <summary>Before WRITE, SETATTR or LINK of the file itself: JUKEBOX while a delegation of it is out, else a ticket.</summary>
    private Nfs3Status BeginChange(FileId file, out ChangeTicket ticket)
    {
        ticket = default;
        if (nfs4 is null) return Nfs3Status.Ok;
        return nfs4.BeginChange(null, file, out ticket) == Nfs4Status.Ok ? Nfs3Status.Ok : Nfs3Status.Jukebox;
    }

    /// <summary>Before REMOVE or RENAME: the regular file <paramref name="name"/> names in the directory, as <see cref="BeginChange"/>.</summary>
    private async ValueTask<(Nfs3Status Status, ChangeTicket Ticket)> BeginChangeOfNameAsync(Target directory, ReadOnlyMemory<byte> name)
    {
        if (nfs4 is null || !Options.Nfs4.Delegations) return (Nfs3Status.Ok, default);
        LookupResult found = await Fs.LookupAsync(directory.Caller, directory.Id, name);
        if (found.Status != FsStatus.Ok || found.File.Type != FileType.Regular) return (Nfs3Status.Ok, default);
        Nfs3Status status = BeginChange(found.File.Id, out ChangeTicket ticket);
        return (status, ticket);
    }

    /// <summary>Before READ: JUKEBOX while a write delegation of the file is out (its holder may have written locally).</summary>
    private Nfs3Status BeginRead(FileId file) =>
        nfs4 is null || nfs4.BeginRead(file) == Nfs4Status.Ok ? Nfs3Status.Ok : Nfs3Status.Jukebox;
}
