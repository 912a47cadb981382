using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Mount;

// RFC 1813 §5.2.5 groupnode, a node of an export's client list:
//   typedef struct groupnode *groups;
//   struct groupnode { name gr_name; groups gr_next; };
[XdrType]
public sealed partial class GroupNode
{
    [XdrMaxLength(255)]
    public string Name = "";

    /// <summary>gr_next: null ends the list.</summary>
    public GroupNode? Next;
}

// RFC 1813 §5.2.5 exportnode:
//   typedef struct exportnode *exports;
//   struct exportnode { dirpath ex_dir; groups ex_groups; exports ex_next; };
[XdrType]
public sealed partial class ExportNode
{
    [XdrMaxLength(1024)]
    public string Dir = "";

    /// <summary>ex_groups: the first group, null for none (exported to everyone).</summary>
    public GroupNode? Groups;

    /// <summary>ex_next: null ends the list.</summary>
    public ExportNode? Next;
}

// RFC 1813 §5.2.5 exports, the EXPORT reply: an optional first exportnode.
[XdrType]
public partial struct ExportList
{
    public ExportNode? Head;
}
