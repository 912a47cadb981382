using System.Diagnostics.Metrics;

namespace DittoFs.Server.Metrics;

/// <summary>
/// NFSv4.1 delegations (meter <c>DittoFs.Nfs4.Delegations</c>). Prometheus names:
/// <list type="bullet">
/// <item><c>dittofs_nfs4_delegations_granted_total</c>, <c>dittofs_nfs4_delegations_recalled_total</c> (CB_RECALL started),
/// <c>dittofs_nfs4_delegations_revoked_total</c> (not returned within a lease)</item>
/// <item><c>dittofs_nfs4_delegations_held</c> (gauge: granted and neither returned nor revoked)</item>
/// </list>
/// </summary>
internal sealed class DelegationMetrics
{
    public const string MeterName = "DittoFs.Nfs4.Delegations";

    private readonly Counter<long> _granted;
    private readonly Counter<long> _recalled;
    private readonly Counter<long> _revoked;
    private Func<int>? _held;

    public DelegationMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(MeterName);
        _granted = meter.CreateCounter<long>("dittofs.nfs4.delegations.granted", "{delegation}", "Delegations handed out on OPEN");
        _recalled = meter.CreateCounter<long>("dittofs.nfs4.delegations.recalled", "{delegation}", "Delegations recalled (CB_RECALL) for another client's conflicting request");
        _revoked = meter.CreateCounter<long>("dittofs.nfs4.delegations.revoked", "{delegation}", "Delegations revoked: not returned within a lease of their recall");
        meter.CreateObservableGauge("dittofs.nfs4.delegations.held", () => _held?.Invoke() ?? 0, "{delegation}", "Delegations held by clients now");
    }

    /// <summary>The counters exist at 0 before the first delegation.</summary>
    public void Prime()
    {
        _granted.Add(0);
        _recalled.Add(0);
        _revoked.Add(0);
    }

    /// <summary>Where the held gauge reads (the NFSv4 state).</summary>
    public void ObserveHeld(Func<int> read) => _held = read;

    public void Granted() => _granted.Add(1);

    public void Recalled() => _recalled.Add(1);

    public void Revoked() => _revoked.Add(1);
}
