using DittoFs.Server.Rpc;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // Room for the RPC header, post-op attributes and the result's fixed fields.
    private const int ReplyOverhead = 512;

    /// <summary>
    /// The reply's size before the call runs, so the RPC layer reserves it: READ, READDIR and
    /// READDIRPLUS say in their arguments how much they want (RFC 1813 §3.3.6, §3.3.16, §3.3.17);
    /// every other reply is small.
    /// </summary>
    public int ReplySizeHint(RpcCall call)
    {
        var procedure = (Nfs3Procedure)call.Procedure;
        if (procedure is not (Nfs3Procedure.Read or Nfs3Procedure.ReadDir or Nfs3Procedure.ReadDirPlus)) return 1024;
        try
        {
            var r = new XdrReader(call.Arguments);
            _ = r.ReadOpaque(Nfs3Limits.FhSize); // file or directory handle
            _ = r.ReadUInt64(); // offset or cookie
            if (procedure != Nfs3Procedure.Read) _ = r.ReadUInt64(); // cookie verifier
            uint count = r.ReadUInt32();
            if (procedure == Nfs3Procedure.ReadDirPlus) count = r.ReadUInt32(); // maxcount
            return (int)Math.Min(count, (uint)Options.MaxTransferSize) + ReplyOverhead;
        }
        catch (XdrException)
        {
            return ReplyOverhead; // GARBAGE_ARGS
        }
    }
}
