using System.Text;
using DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

public sealed partial class Nfs4TestClient
{
    /// <summary>
    /// SEQUENCE, PUTFH, LOCK by a new lock owner (open_to_lock_owner4 from <paramref name="openStateid"/>, open seqid 0,
    /// lock seqid 0): WRITE_LT or READ_LT of [offset, offset + length), the whole file by default.
    /// </summary>
    public CompoundReply LockNewOwner(byte[] handle, byte[] openStateid, string lockOwner, ulong offset = 0, ulong length = ulong.MaxValue, bool write = true) =>
        Compound(3, b =>
        {
            Sequence(b);
            b.UInt32((uint)Nfs4Op.PutFh);
            b.Opaque(handle);
            b.UInt32((uint)Nfs4Op.Lock);
            b.UInt32(write ? 2u : 1u);
            b.UInt32(0); // reclaim
            b.UInt64(offset);
            b.UInt64(length);
            b.UInt32(1); // new lock owner
            b.UInt32(0); // open seqid
            b.Raw(openStateid);
            b.UInt32(0); // lock seqid
            b.UInt64(ClientId);
            b.Opaque(Encoding.UTF8.GetBytes(lockOwner));
        });
}
