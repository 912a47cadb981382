using System.Net;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Rpc;

namespace DittoFs.Server.Protocol.Nsm;

/// <summary>
/// NSM version 1 (XNFS 3W ch. 11), program 100024: this server's statd as a client host sees it.
/// SM_STAT / SM_MON answer success with our state number (we monitor whoever holds locks anyway);
/// SM_NOTIFY from a client's statd says that host rebooted: its locks are released (knfsd's
/// nlm_host_rebooted), matched by its name, else by the address it called from.
/// </summary>
internal sealed class NsmProgram(StatusMonitor monitor, NlmState nlm, ILogger<NsmProgram> logger, Microsoft.Extensions.Options.IOptions<Options.DittoFsOptions> options) : IRpcProgram
{
    private const int StatSucc = 0;

    public uint Program => RpcPrograms.Nsm;
    public uint LowVersion => 1;
    public uint HighVersion => 1;

    public ValueTask HandleAsync(RpcCall call)
    {
        if (!options.Value.Nlm.Enabled)
        {
            call.ReplyAccepted(AcceptStatus.ProgramUnavailable);
            return ValueTask.CompletedTask;
        }
        switch ((NsmProcedure)call.Procedure)
        {
            case NsmProcedure.Null: // 0
            case NsmProcedure.SimuCrash: // 5
                call.ReplyVoid();
                break;
            case NsmProcedure.Stat: // 1
                if (call.TryDecode(out SmName _)) call.ReplySuccess(new SmStatRes { Result = StatSucc, State = monitor.State });
                break;
            case NsmProcedure.Mon: // 2
                if (call.TryDecode(out SmMon _)) call.ReplySuccess(new SmStatRes { Result = StatSucc, State = monitor.State });
                break;
            case NsmProcedure.Unmon: // 3
                if (call.TryDecode(out SmMonId _)) call.ReplySuccess(new SmStat { State = monitor.State });
                break;
            case NsmProcedure.UnmonAll: // 4
                if (call.TryDecode(out SmMyId _)) call.ReplySuccess(new SmStat { State = monitor.State });
                break;
            case NsmProcedure.Notify: // 6
                if (call.TryDecode(out SmStatChange change))
                {
                    Rebooted(call, change);
                    call.ReplyVoid();
                }
                break;
            default:
                call.ReplyAccepted(AcceptStatus.ProcedureUnavailable);
                break;
        }
        return ValueTask.CompletedTask;
    }

    private void Rebooted(RpcCall call, in SmStatChange change)
    {
        string name = System.Text.Encoding.UTF8.GetString(change.MonName.Span);
        List<string> hosts = [];
        if (monitor.IsKnown(name)) hosts.Add(name);
        else if (call.Connection.RemoteEndPoint?.Address is IPAddress a) hosts = monitor.HostsAt(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a);
        NsmLog.HostRebooted(logger, name, change.State);
        foreach (string host in hosts) nlm.FreeHost(host, "SM_NOTIFY");
    }
}
