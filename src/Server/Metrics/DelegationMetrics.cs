using System.Diagnostics.Metrics;

namespace DittoFs.Server.Metrics;

/// <summary>
/// NFSv4.1 delegations (meter <c>DittoFs.Nfs4.Delegations</c>). Prometheus names:
/// <list type="bullet">
/// <item><c>dittofs_nfs4_delegations_granted_total</c>, <c>dittofs_nfs4_delegations_recalled_total</c> (CB_RECALL started),
/// <c>dittofs_nfs4_delegations_revoked_total</c> (not returned within a lease), each with <c>type</c> = read / write</item>
/// <item><c>dittofs_nfs4_delegations_getattr_total</c> (CB_GETATTR answered: another client's GETATTR served from a write delegation's holder)</item>
/// <item><c>dittofs_nfs4_delegations_held</c> (gauge: granted and neither returned nor revoked)</item>
/// </list>
/// </summary>
internal sealed class DelegationMetrics
{
    public const string MeterName = "DittoFs.Nfs4.Delegations";

    private readonly Counter<long> _granted;
    private readonly Counter<long> _recalled;
    private readonly Counter<long> _revoked;
    private readonly Counter<long> _getattr;
    private static readonly KeyValuePair<string, object?> ReadType = new("type", "read"), WriteType = new("type", "write");
    private Func<int>? _held;

    public DelegationMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _granted = meter.CreateCounter<long>("dittofs.nfs4.delegations.granted", "{delegation}", "Delegations handed out on OPEN");
        _recalled = meter.CreateCounter<long>("dittofs.nfs4.delegations.recalled", "{delegation}", "Delegations recalled (CB_RECALL) for another client's conflicting request");
        _revoked = meter.CreateCounter<long>("dittofs.nfs4.delegations.revoked", "{delegation}", "Delegations revoked: not returned within a lease of their recall");
        _getattr = meter.CreateCounter<long>("dittofs.nfs4.delegations.getattr", "{callback}", "CB_GETATTR answered by a write delegation's holder for another client's GETATTR");
        meter.CreateObservableGauge("dittofs.nfs4.delegations.held", () => _held?.Invoke() ?? 0, "{delegation}", "Delegations held by clients now");
    }

    /// <summary>The counters exist at 0 before the first delegation.</summary>
    public void Prime()
    {
        foreach (KeyValuePair<string, object?> type in (ReadOnlySpan<KeyValuePair<string, object?>>)[ReadType, WriteType])
        {
            _granted.Add(0, type);
            _recalled.Add(0, type);
            _revoked.Add(0, type);
        }
        _getattr.Add(0);
    }

    /// <summary>Where the held gauge reads (the NFSv4 state).</summary>
    public void ObserveHeld(Func<int> read) => _held = read;

    public void Granted(bool write) => _granted.Add(1, write ? WriteType : ReadType);

    public void Recalled(bool write) => _recalled.Add(1, write ? WriteType : ReadType);

    public void Revoked(bool write) => _revoked.Add(1, write ? WriteType : ReadType);

    public void AskedAttributes() => _getattr.Add(1);
}
