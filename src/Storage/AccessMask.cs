namespace DittoFs.Storage;

/// <summary>Access rights as NFSv3 ACCESS / NFSv4 ACCESS4 define them (same bit values).</summary>
[Flags]
public enum AccessMask : uint
{
    None = 0,
    Read = 0x01,
    Lookup = 0x02,
    Modify = 0x04,
    Extend = 0x08,
    Delete = 0x10,
    Execute = 0x20,
    All = 0x3F,
}
