using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nfs3;

internal sealed partial class Nfs3Program
{
    // RFC 1813 §3.3.18 FSSTAT
    private async ValueTask FsStatAsync(RpcCall call)
    {
        if (!call.TryDecode(out FsStat3Args args)) return;
        Nfs3Status status = Resolve(call, args.FsRoot, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new FsStat3Res { Status = status });
            return;
        }
        FsResult<FsStats> stats = await Fs.GetStatsAsync(target.Id);
        FsResult<FileAttributes> attributes = await Fs.GetAttributesAsync(target.Id);
        PostOpAttr postOp = attributes.Ok ? Nfs3Mapping.PostOp(attributes.Value) : default;
        if (!stats.Ok)
        {
            call.ReplySuccess(new FsStat3Res { Status = stats.Status.ToNfs3(), ResFail = new FsStat3ResFail { ObjAttributes = postOp } });
            return;
        }
        FsStats s = stats.Value;
        call.ReplySuccess(new FsStat3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new FsStat3ResOk
            {
                ObjAttributes = postOp,
                TBytes = s.TotalBytes,
                FBytes = s.FreeBytes,
                ABytes = s.AvailableBytes,
                TFiles = s.TotalFiles,
                FFiles = s.FreeFiles,
                AFiles = s.AvailableFiles,
                InvarSec = 0,
            },
        });
    }

    // RFC 1813 §3.3.19 FSINFO: transfer sizes the Linux client uses for rsize/wsize.
    private async ValueTask FsInfoAsync(RpcCall call)
    {
        if (!call.TryDecode(out FsInfo3Args args)) return;
        Nfs3Status status = Resolve(call, args.FsRoot, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new FsInfo3Res { Status = status });
            return;
        }
        FsResult<FileAttributes> attributes = await Fs.GetAttributesAsync(target.Id);
        if (!attributes.Ok)
        {
            call.ReplySuccess(new FsInfo3Res { Status = attributes.Status.ToNfs3() });
            return;
        }
        uint transfer = (uint)Options.MaxTransferSize;
        call.ReplySuccess(new FsInfo3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new FsInfo3ResOk
            {
                ObjAttributes = Nfs3Mapping.PostOp(attributes.Value),
                RtMax = transfer,
                RtPref = transfer,
                RtMult = 4096,
                WtMax = transfer,
                WtPref = transfer,
                WtMult = 4096,
                DtPref = 64 * 1024,
                MaxFileSize = FsLimits.MaxFileSize,
                TimeDelta = new NfsTime3 { Seconds = 0, NSeconds = 1 },
                Properties = FsInfoProperties.Link | FsInfoProperties.Symlink | FsInfoProperties.Homogeneous | FsInfoProperties.CanSetTime,
            },
        });
    }

    // RFC 1813 §3.3.20 PATHCONF
    private async ValueTask PathConfAsync(RpcCall call)
    {
        if (!call.TryDecode(out PathConf3Args args)) return;
        Nfs3Status status = Resolve(call, args.Object, out Target target);
        if (status != Nfs3Status.Ok)
        {
            call.ReplySuccess(new PathConf3Res { Status = status });
            return;
        }
        FsResult<FileAttributes> attributes = await Fs.GetAttributesAsync(target.Id);
        if (!attributes.Ok)
        {
            call.ReplySuccess(new PathConf3Res { Status = attributes.Status.ToNfs3() });
            return;
        }
        call.ReplySuccess(new PathConf3Res
        {
            Status = Nfs3Status.Ok,
            ResOk = new PathConf3ResOk
            {
                ObjAttributes = Nfs3Mapping.PostOp(attributes.Value),
                LinkMax = FsLimits.MaxLinkCount,
                NameMax = FsLimits.MaxNameLength,
                NoTrunc = true,
                ChownRestricted = true,
                CaseInsensitive = false,
                CasePreserving = true,
            },
        });
    }
}
