using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §10.4.1: requests of one client that change a file another client holds a delegation of wait (DELAY) while it is recalled.
internal sealed partial class Nfs4Program
{
    /// <summary>
    /// Before a REMOVE or RENAME: the file <paramref name="name"/> names in <paramref name="directory"/> (looked up
    /// only while some delegation is held); DELAY while another client holds a delegation of it. A failed lookup is
    /// OK here: the operation itself reports it.
    /// </summary>
    private async ValueTask<Nfs4Status> BreakDelegationsOfNameAsync(Compound c, Fh directory, ReadOnlyMemory<byte> name)
    {
        if (state.DelegationsHeld == 0 || directory.Kind != FhKind.File) return Nfs4Status.Ok;
        LookupResult found = await Fs.LookupAsync(directory.Caller, directory.Id, name);
        if (found.Status != FsStatus.Ok || found.File.Type != FileType.Regular) return Nfs4Status.Ok;
        return state.BreakDelegations(c.Client!, found.File.Id);
    }

    /// <summary>Before a SETATTR or LINK of the file itself: DELAY while another client holds a delegation of it.</summary>
    private Nfs4Status BreakDelegations(Compound c, in Fh file) =>
        file.Kind == FhKind.File ? state.BreakDelegations(c.Client!, file.Id) : Nfs4Status.Ok;
}
