using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Mount;

// RFC 1813 §5.2.2 mountbody, a node of the DUMP reply list:
//   typedef struct mountbody *mountlist;
//   struct mountbody { name ml_hostname; dirpath ml_directory; mountlist ml_next; };
[XdrType]
public sealed partial class MountBody
{
    [XdrMaxLength(255)]
    public string Hostname = "";

    [XdrMaxLength(1024)]
    public string Directory = "";

    /// <summary>ml_next: null ends the list.</summary>
    public MountBody? Next;
}

// RFC 1813 §5.2.2 mountlist, the DUMP reply: an optional first mountbody.
[XdrType]
public partial struct MountList
{
    public MountBody? Head;
}
