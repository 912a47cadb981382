using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §10.4.1: requests of one client that change a file another client holds a delegation of wait (DELAY)
// while it is recalled; the check and the change are one transition (a ticket blocks grants until it is disposed).
internal sealed partial class Nfs4Program
{
    /// <summary>
    /// Before a REMOVE, RENAME or truncating create: the file <paramref name="name"/> names in
    /// <paramref name="directory"/>; DELAY while another client holds a delegation of it, else a ticket to hold
    /// until the change is done. A failed lookup (or not a regular file) is OK here: the operation itself reports it.
    /// </summary>
    private async ValueTask<(Nfs4Status Status, ChangeTicket Ticket)> BeginChangeOfNameAsync(Compound c, Fh directory, ReadOnlyMemory<byte> name)
    {
        if (!Options.Nfs4.Delegations || directory.Kind != FhKind.File) return (Nfs4Status.Ok, default);
        LookupResult found = await Fs.LookupAsync(directory.Caller, directory.Id, name);
        if (found.Status != FsStatus.Ok || found.File.Type != FileType.Regular) return (Nfs4Status.Ok, default);
        Nfs4Status status = state.BeginChange(c.Client!, found.File.Id, out ChangeTicket ticket);
        return (status, ticket);
    }

    /// <summary>Before a SETATTR or LINK of the file itself: DELAY while another client holds a delegation of it, else a ticket.</summary>
    private Nfs4Status BeginChange(Compound c, in Fh file, out ChangeTicket ticket)
    {
        ticket = default;
        return file.Kind == FhKind.File ? state.BeginChange(c.Client!, file.Id, out ticket) : Nfs4Status.Ok;
    }
}
