using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nsm;

// NSM, the status monitor (XNFS, Version 3W, chapter 11; sm_inter.x), program 100024 version 1.
// SM_MAXSTRLEN = 1024.

/// <summary>The procedure numbers of program 100024 version 1.</summary>
public enum NsmProcedure : uint
{
    Null = 0,
    Stat = 1,
    Mon = 2,
    Unmon = 3,
    UnmonAll = 4,
    SimuCrash = 5,
    Notify = 6,
}

/// <summary>sm_name (SM_STAT): { string mon_name; }.</summary>
[XdrType]
public partial struct SmName
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> MonName;
}

/// <summary>my_id: { string my_name; int my_prog; int my_vers; int my_proc; } (whom to call back when mon_name reboots).</summary>
[XdrType]
public partial struct SmMyId
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> MyName;
    public int Program;
    public int Version;
    public int Procedure;
}

/// <summary>mon_id (SM_UNMON): { string mon_name; my_id my_id; }.</summary>
[XdrType]
public partial struct SmMonId
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> MonName;
    public SmMyId MyId;
}

/// <summary>mon (SM_MON): { mon_id mon_id; opaque priv[16]; }.</summary>
[XdrType]
public partial struct SmMon
{
    public SmMonId MonId;
    [XdrFixedLength(16)]
    public ReadOnlyMemory<byte> Private;
}

/// <summary>sm_stat_res: { sm_res res_stat; int state; } (res_stat: STAT_SUCC 0, STAT_FAIL 1).</summary>
[XdrType]
public partial struct SmStatRes
{
    public int Result;
    public int State;
}

/// <summary>sm_stat: { int state; }.</summary>
[XdrType]
public partial struct SmStat
{
    public int State;
}

/// <summary>stat_chge (SM_NOTIFY): { string mon_name; int state; }.</summary>
[XdrType]
public partial struct SmStatChange
{
    [XdrMaxLength(1024)]
    public ReadOnlyMemory<byte> MonName;
    public int State;
}
