using System.Runtime.CompilerServices;

namespace DittoFs.Storage;

/// <summary>Supplementary groups of an AUTH_SYS credential (at most 16 on the wire), inline so no call allocates.</summary>
[InlineArray(16)]
public struct GroupList
{
    private uint _element0;
}

/// <summary>
/// Who is asking, after the protocol applied the export's squashing rules.
/// Permission checks (owner/group/other mode bits, supplementary groups,
/// root) happen in the filesystem against this.
/// </summary>
public struct Caller
{
    public uint Uid;
    public uint Gid;
    public int GroupCount;
    public GroupList Groups;

    public Caller(uint uid, uint gid)
    {
        Uid = uid;
        Gid = gid;
    }

    public static Caller Root => new(0, 0);

    public readonly bool IsRoot => Uid == 0;

    public readonly bool InGroup(uint gid)
    {
        if (gid == Gid) return true;
        for (int i = 0; i < GroupCount; i++)
        {
            if (Groups[i] == gid) return true;
        }
        return false;
    }
}
