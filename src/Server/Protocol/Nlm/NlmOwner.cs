using DittoFs.Server.Protocol.Locks;

namespace DittoFs.Server.Protocol.Nlm;

/// <summary>
/// An NLM lock owner: the client host (caller_name), the process on it (svid) and its owner handle
/// (oh), compared by value, as knfsd's nlm_lockowner (host + pid) and ganesha's NLM owner (caller name + svid + oh).
/// </summary>
internal sealed class NlmOwner(string host, int svid, byte[] oh) : IForeignLockHolder, IEquatable<NlmOwner>
{
    /// <summary>The caller_name at the client's address (name@address, <see cref="NlmProgram.HostOf"/>).</summary>
    public string Host { get; } = host;

    /// <summary>The address part of <see cref="Host"/> (a caller_name keeps no '@'): where the per-address bounds count.</summary>
    public string Address { get; } = AddressOf(host);

    public static string AddressOf(string host) => host[(host.LastIndexOf('@') + 1)..];

    public int Svid { get; } = svid;

    public byte[] Oh { get; } = oh;

    public byte[] OwnerBytes => Oh;

    public bool Equals(NlmOwner? other) =>
        other is not null && other.Svid == Svid && other.Host == Host && other.Oh.AsSpan().SequenceEqual(Oh);

    public override bool Equals(object? obj) => Equals(obj as NlmOwner);

    public override int GetHashCode() => HashCode.Combine(Host, Svid, Oh.Length);
}
