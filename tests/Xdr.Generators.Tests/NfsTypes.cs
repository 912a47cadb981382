using System.Buffers;
using DittoFs.Xdr;

// The NFSv3 (RFC 1813) shapes the generator exists for; they must compile and round-trip.
namespace DittoFs.Xdr.Generators.Tests.Nfs;

public enum NfsStat3 : int { Ok = 0, Perm = 1, NoEnt = 2, Io = 5 }

[XdrType] public partial struct NfsTime3 { public uint Seconds; public uint NSeconds; }

[XdrType]
public partial struct FAttr3
{
    public int Type; public uint Mode; public uint Nlink; public uint Uid; public uint Gid;
    public ulong Size; public ulong Used; public uint Rdev1; public uint Rdev2; public ulong Fsid; public ulong FileId;
    public NfsTime3 Atime; public NfsTime3 Mtime; public NfsTime3 Ctime;
}

[XdrType] public partial struct NfsFh3 { [XdrMaxLength(64)] public ReadOnlySequence<byte> Data; }

[XdrType] public partial struct GetAttr3Args { public NfsFh3 Object; }

[XdrType] public partial struct GetAttr3ResOk { public FAttr3 Attributes; }

[XdrUnion(DefaultIsVoid = true)]
public partial struct GetAttr3Res { [XdrDiscriminant] public NfsStat3 Status; [XdrCase(NfsStat3.Ok)] public GetAttr3ResOk ResOk; }

[XdrType] public partial struct PostOpAttr { public FAttr3? Attributes; }

[XdrType] public partial class Entry3 { public ulong FileId; [XdrMaxLength(255)] public string Name = ""; public ulong Cookie; public Entry3? Next; }

[XdrType] public partial struct Write3Args { public NfsFh3 File; public ulong Offset; public uint Count; public int Stable; public ReadOnlySequence<byte> Data; }

[XdrType] public partial struct AuthSys { public uint Stamp; [XdrMaxLength(255)] public string MachineName; public uint Uid; public uint Gid; [XdrMaxLength(16)] public uint[] Gids; }

[XdrType] public partial struct Verf { [XdrFixedLength(8)] public ReadOnlySequence<byte> Data; }
