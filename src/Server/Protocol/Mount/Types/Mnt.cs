using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Mount;

// RFC 1813 §5.2.1 mountres3_ok:
//   typedef opaque fhandle3<FHSIZE3>;
//   struct mountres3_ok { fhandle3 fhandle; int auth_flavors<>; };
[XdrType]
public partial struct MountRes3Ok
{
    /// <summary>fhandle3: the root handle of the export.</summary>
    [XdrMaxLength(64)]
    public ReadOnlyMemory<byte> FHandle;

    /// <summary>Accepted RPC auth flavors, preferred first (1 = AUTH_SYS).</summary>
    public int[] AuthFlavors;
}

// RFC 1813 §5.2.1 mountres3:
//   union mountres3 switch (mountstat3 fhs_status) { case MNT3_OK: mountres3_ok mountinfo; default: void; };
[XdrUnion(DefaultIsVoid = true)]
public partial struct MountRes3
{
    [XdrDiscriminant]
    public MountStatus Status;

    [XdrCase(MountStatus.Ok)]
    public MountRes3Ok MountInfo;
}
