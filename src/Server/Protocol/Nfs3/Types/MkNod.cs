using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs3;

// RFC 1813 §3.3.11 devicedata3.
[XdrType]
public partial struct DeviceData3
{
    public SAttr3 DevAttributes;
    public SpecData3 Spec;
}

// RFC 1813 §3.3.11 mknoddata3:
//   union mknoddata3 switch (ftype3 type) {
//   case NF3CHR:
//   case NF3BLK:  devicedata3 device;
//   case NF3SOCK:
//   case NF3FIFO: sattr3 pipe_attributes;
//   default:      void;
//   };
// NF3REG/NF3DIR/NF3LNK decode as void; the handler answers NFS3ERR_BADTYPE.
[XdrUnion(DefaultIsVoid = true)]
public partial struct MkNodData3
{
    [XdrDiscriminant]
    public Ftype3 Type;

    [XdrCase(Ftype3.Chr, Ftype3.Blk)]
    public DeviceData3 Device;

    [XdrCase(Ftype3.Sock, Ftype3.Fifo)]
    public SAttr3 PipeAttributes;
}

// RFC 1813 §3.3.11 MKNOD3args.
[XdrType]
public partial struct MkNod3Args
{
    public DirOpArgs3 Where;
    public MkNodData3 What;
}

// RFC 1813 §3.3.11 MKNOD3resok.
[XdrType]
public partial struct MkNod3ResOk
{
    public PostOpFh3 Obj;
    public PostOpAttr ObjAttributes;
    public WccData DirWcc;
}

// RFC 1813 §3.3.11 MKNOD3resfail.
[XdrType]
public partial struct MkNod3ResFail
{
    public WccData DirWcc;
}

// RFC 1813 §3.3.11 MKNOD3res.
[XdrUnion]
public partial struct MkNod3Res
{
    [XdrDiscriminant]
    public Nfs3Status Status;

    [XdrCase(Nfs3Status.Ok)]
    public MkNod3ResOk ResOk;

    [XdrDefault]
    public MkNod3ResFail ResFail;
}
