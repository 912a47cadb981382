using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs4.State;

/// <summary>
/// A change of a file under way (from <see cref="Nfs4State.BeginChange"/>): no delegation of the file is granted
/// until it is disposed, so none can be handed out between the conflict check and the change itself.
/// The default ticket (delegations off) holds nothing.
/// </summary>
internal readonly struct ChangeTicket : IDisposable
{
    private readonly Nfs4State? _state;
    private readonly FileId _file;

    internal ChangeTicket(Nfs4State state, FileId file)
    {
        _state = state;
        _file = file;
    }

    public void Dispose() => _state?.EndChange(_file);
}
