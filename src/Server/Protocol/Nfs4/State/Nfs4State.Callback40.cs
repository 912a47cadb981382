using DittoFs.Server.Protocol.Nfs4.Callbacks;

namespace DittoFs.Server.Protocol.Nfs4.State;

// NFSv4.0 callback path (RFC 7530 §10.2.1, §16.33): SETCLIENTID names an address, SETCLIENTID_CONFIRM makes it the
// client's; a CB_NULL probe decides whether delegations are granted, CB_RECALL goes there, and RENEW says
// CB_PATH_DOWN while a client holding delegations cannot be called. Transitions under the lock, calls after it.
internal sealed partial class Nfs4State
{
    /// <summary>After SETCLIENTID_CONFIRM: the confirmed callback is probed, unless this one was probed already.</summary>
    public void ProbeCallback40(ulong clientId)
    {
        ClientRecord? client;
        V40Callback callback;
        lock (_lock)
        {
            if (!_clients.TryGetValue(clientId, out client) || client.V40 is not { } v40 || !client.Confirmed) return;
            callback = v40.Callback;
            if (!GrantsDelegations || (v40.CallbackState != BackChannelState.None && v40.Probed == callback)) return;
            v40.Probed = callback;
            v40.CallbackState = callback.Endpoint is null ? BackChannelState.Down : BackChannelState.Probing;
        }
        if (callback.Endpoint is null)
        {
            Nfs4Log.Callback40Refused(_logger, client.Id, callback.Netid, callback.Addr);
            return;
        }
        _ = Probe40Async(client, callback);
    }

    private async Task Probe40Async(ClientRecord client, V40Callback callback)
    {
        bool up;
        try
        {
            up = await CallbackClient40.ProbeAsync(callback.Endpoint!, callback.Program, CallbackTimeout);
        }
        catch (Exception ex)
        {
            Nfs4Log.CallbackFailed(_logger, ex, client.Id);
            up = false;
        }
        List<DelegationState>? undelivered = null;
        lock (_lock)
        {
            V40Client v40 = client.V40!;
            // A newer callback (another confirm) is being probed: its probe decides.
            if (v40.Probed != callback || v40.CallbackState != BackChannelState.Probing) return;
            v40.CallbackState = up ? BackChannelState.Up : BackChannelState.Down;
            if (up)
            {
                // Recalls that found the path down go again now that it answers.
                foreach (StateObject s in client.States)
                {
                    if (s is DelegationState { RecallSent: not 0, RecallDelivered: false, Revoked: false } d) (undelivered ??= []).Add(d);
                }
            }
        }
        Nfs4Log.Callback40Probed(_logger, client.Id, up);
        if (undelivered is not null)
        {
            foreach (DelegationState d in undelivered) _ = RecallAsync(d);
        }
    }

    /// <summary>Under the lock: may a delegation go to this client? 4.0: its callback answered a probe; 4.1: a session's back channel is up.</summary>
    private static bool CanCallBack(ClientRecord client)
    {
        if (client.V40 is { } v40) return v40.CallbackState == BackChannelState.Up;
        foreach (Session s in client.Sessions)
        {
            if (s.BackChannelUp) return true;
        }
        return false;
    }

    /// <summary>
    /// CB_RECALL of a 4.0 client's delegation at its callback address. Path not up: sent once a new callback
    /// answers its probe, else the client learns of it from RENEW (CB_PATH_DOWN) and returns it, else it is
    /// revoked after a lease. No answer: the path is down.
    /// </summary>
    private async Task Recall40Async(DelegationState delegation)
    {
        V40Client v40 = delegation.Client.V40!;
        V40Callback callback;
        Stateid4 stateid;
        lock (_lock)
        {
            callback = v40.Callback;
            stateid = ToStateid(delegation);
            if (v40.CallbackState != BackChannelState.Up || callback.Endpoint is null) return;
        }
        Nfs4Log.Recalling(_logger, delegation.Client.Id, delegation.File.Inode);
        CallbackOutcome outcome;
        try
        {
            outcome = await CallbackClient40.RecallAsync(callback.Endpoint, callback.Program, callback.Ident, stateid, delegation.File, CallbackTimeout);
        }
        catch (Exception ex)
        {
            Nfs4Log.CallbackFailed(_logger, ex, delegation.Client.Id);
            outcome = default;
        }
        lock (_lock)
        {
            if (outcome.Answered) delegation.RecallDelivered = true;
            else if (v40.Probed == callback && v40.CallbackState == BackChannelState.Up) v40.CallbackState = BackChannelState.Down;
        }
    }

    /// <summary>
    /// RENEW (RFC 7530 §16.29.4): CB_PATH_DOWN while the client holds delegations and its callback path is down
    /// (the lease is renewed all the same). As knfsd and ganesha: a client without delegations is not told, or a
    /// client behind NAT (never called back) would see it on every RENEW.
    /// </summary>
    public bool CallbackPathDown40(ClientRecord client)
    {
        lock (_lock)
        {
            if (client.V40 is not { CallbackState: BackChannelState.Down }) return false;
            foreach (StateObject s in client.States)
            {
                if (s is DelegationState) return true;
            }
            return false;
        }
    }
}
