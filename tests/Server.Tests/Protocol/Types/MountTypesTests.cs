using DittoFs.Server.Protocol.Mount;
using Xunit;
using static DittoFs.Server.Tests.Protocol.Types.XdrTestCodec;

namespace DittoFs.Server.Tests.Protocol.Types;

public sealed class MountTypesTests
{
    [Fact]
    public void MntReplyWithSixteenByteHandleAndAuthSys()
    {
        byte[] handle = Enumerable.Range(0, 16).Select(i => (byte)(0xF0 + i)).ToArray();
        var res = new MountRes3
        {
            Status = MountStatus.Ok,
            MountInfo = new MountRes3Ok { FHandle = handle, AuthFlavors = [1] },
        };
        byte[] expected = Cat(W(0), W(16), handle, W(1), W(1));

        Assert.Equal(expected, Encode(res));

        MountRes3 back = RoundTrip<MountRes3>(expected);
        Assert.Equal(MountStatus.Ok, back.Status);
        Assert.Equal(handle, back.MountInfo.FHandle.ToArray());
        Assert.Equal(new[] { 1 }, back.MountInfo.AuthFlavors);
    }

    [Fact]
    public void MntErrorIsStatusOnly()
    {
        var res = new MountRes3 { Status = MountStatus.Acces };
        Assert.Equal(W(13), Encode(res));
        Assert.Equal(MountStatus.NoEnt, Decode<MountRes3>(W(2)).Status);
    }

    [Fact]
    public void DirPathArgs()
    {
        byte[] expected = Cat(W(7), "/export"u8.ToArray(), [0]);
        Assert.Equal(expected, Encode(new DirPathArgs { DirPath = "/export" }));
        Assert.Equal("/export", RoundTrip<DirPathArgs>(expected).DirPath);
        Assert.Throws<DittoFs.Xdr.XdrException>(() => Decode<DirPathArgs>(Cat(W(1025), new byte[1028])));
    }

    [Fact]
    public void ExportListWithGroups()
    {
        var list = new ExportList
        {
            Head = new ExportNode
            {
                Dir = "/a",
                Groups = new GroupNode { Name = "h1", Next = new GroupNode { Name = "h2" } },
                Next = new ExportNode { Dir = "/b" },
            },
        };
        byte[] expected = Cat(
            W(1), W(2), [(byte)'/', (byte)'a', 0, 0],
            W(1), W(2), [(byte)'h', (byte)'1', 0, 0],
            W(1), W(2), [(byte)'h', (byte)'2', 0, 0],
            W(0),
            W(1), W(2), [(byte)'/', (byte)'b', 0, 0],
            W(0),
            W(0));

        Assert.Equal(expected, Encode(list));

        ExportList back = RoundTrip<ExportList>(expected);
        ExportNode a = Assert.IsType<ExportNode>(back.Head);
        Assert.Equal("/a", a.Dir);
        Assert.Equal("h1", a.Groups!.Name);
        Assert.Equal("h2", a.Groups.Next!.Name);
        Assert.Null(a.Groups.Next.Next);
        Assert.Equal("/b", a.Next!.Dir);
        Assert.Null(a.Next.Groups);
        Assert.Null(a.Next.Next);
    }

    [Fact]
    public void MountListDump()
    {
        var list = new MountList { Head = new MountBody { Hostname = "client", Directory = "/export" } };
        byte[] expected = Cat(W(1), W(6), "client"u8.ToArray(), [0, 0], W(7), "/export"u8.ToArray(), [0], W(0));
        Assert.Equal(expected, Encode(list));
        MountBody body = Assert.IsType<MountBody>(RoundTrip<MountList>(expected).Head);
        Assert.Equal("client", body.Hostname);
        Assert.Equal("/export", body.Directory);
        Assert.Null(body.Next);
        Assert.Null(RoundTrip<MountList>(W(0)).Head);
    }
}
