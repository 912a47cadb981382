using DittoFs.Server.Options;
using DittoFs.Server.Rpc;
using DittoFs.Xdr;
using Microsoft.Extensions.Options;

namespace DittoFs.Server.Protocol.Portmap;

/// <summary>
/// A minimal portmapper (RFC 1833 §3, program 100000 version 2) so that
/// rpcinfo/showmount-style clients find NFS and MOUNT without a system rpcbind.
/// Only TCP is served, so only TCP mappings are reported (a UDP GETPORT answers 0: the Linux
/// client then uses NLM over TCP, as it does for a proto=tcp mount anyway).
/// <code>
/// struct mapping { unsigned prog; unsigned vers; unsigned prot; unsigned port; };
/// GETPORT(mapping) = unsigned port (0 = not registered)
/// DUMP() = *pmaplist  (linked list of mappings)
/// </code>
/// </summary>
internal sealed class PortmapProgram(IOptions<DittoFsOptions> options) : IRpcProgram
{
    private const int IpProtoTcp = 6;

    public uint Program => RpcPrograms.Portmap;
    public uint LowVersion => 2;
    public uint HighVersion => 2;

    public ValueTask HandleAsync(RpcCall call)
    {
        switch (call.Procedure)
        {
            case 0: // NULL
                call.ReplyVoid();
                break;
            case 3: // GETPORT
                GetPort(call);
                break;
            case 4: // DUMP
                Dump(call);
                break;
            default: // SET, UNSET, CALLIT: registrations are fixed by configuration
                call.ReplyAccepted(AcceptStatus.ProcedureUnavailable);
                break;
        }
        return ValueTask.CompletedTask;
    }

    private void GetPort(RpcCall call)
    {
        uint prog, vers, prot;
        try
        {
            var reader = new XdrReader(call.Arguments);
            prog = reader.ReadUInt32();
            vers = reader.ReadUInt32();
            prot = reader.ReadUInt32();
            _ = reader.ReadUInt32();
        }
        catch (XdrException)
        {
            call.ReplyAccepted(AcceptStatus.GarbageArgs);
            return;
        }
        uint port = 0;
        if (prot == IpProtoTcp)
        {
            foreach (var (p, v, pt) in Mappings())
            {
                if (p == prog && v == vers) port = pt;
            }
        }
        var writer = call.BeginSuccess();
        writer.WriteUInt32(port);
        writer.Flush();
    }

    private void Dump(RpcCall call)
    {
        var writer = call.BeginSuccess();
        foreach (var (prog, vers, port) in Mappings())
        {
            writer.WriteBool(true);
            writer.WriteUInt32(prog);
            writer.WriteUInt32(vers);
            writer.WriteUInt32(IpProtoTcp);
            writer.WriteUInt32(port);
        }
        writer.WriteBool(false);
        writer.Flush();
    }

    private IEnumerable<(uint Program, uint Version, uint Port)> Mappings()
    {
        DittoFsOptions o = options.Value;
        uint nfs = (uint)o.NfsPort;
        uint mount = o.MountPort != 0 ? (uint)o.MountPort : nfs;
        yield return (RpcPrograms.Portmap, 2, o.PortmapPort != 0 ? (uint)o.PortmapPort : nfs);
        yield return (RpcPrograms.Nfs, 3, nfs);
        yield return (RpcPrograms.Nfs, 4, nfs);
        yield return (RpcPrograms.Mount, 3, mount);
        if (o.Nlm.Enabled)
        {
            // NFSv3 locks: NLM v4 (the Linux client also asks for v1/v3 to be listed, but only locks with v4 over NFSv3) and the status monitor.
            yield return (RpcPrograms.Nlm, 4, nfs);
            yield return (RpcPrograms.Nsm, 1, nfs);
        }
    }
}
