using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

// NFSv3 callers conflict with NFSv4.1 delegations as another client would: the v3 request recalls the delegation and
// is answered NFS3ERR_JUKEBOX until the holder returns it (knfsd does the same).
public sealed partial class Nfs4DelegationTests
{
    /// <summary>The NFSv3 handle of the held file, looked up by name from the export's root.</summary>
    private static byte[] V3Handle(Nfs3Client v3, byte[] root, string name)
    {
        Lookup3Res found = v3.Lookup(root, name);
        Assert.Equal(Nfs3Status.Ok, found.Status);
        return found.ResOk.Object.Data.ToArray();
    }

    [Fact]
    public void AnNfs3WriteRecallsTheDelegationAndIsAnsweredJukeboxUntilItIsReturned()
    {
        using HeldFile f = Hold("v3write", "old bytes");
        using var v3 = new Nfs3Client(fixture.Server.NfsPort);
        byte[] root = v3.Mount();
        byte[] fh = V3Handle(v3, root, f.Name);

        Assert.Equal(Nfs3Status.Jukebox, v3.Write(fh, 0, "new"u8.ToArray(), StableHow.FileSync).Status);
        Recall recall = f.Holder.ReceiveRecall();
        Assert.Equal(f.Stateid, recall.Stateid);
        Assert.Equal(f.Handle, recall.Fh);
        // Nothing was written while the delegation was out; still JUKEBOX (no second recall) until it comes back.
        Assert.Equal((Nfs4Status.Ok, "old bytes"), ReadWith(f.Holder, f.Handle, f.Stateid));
        Assert.Equal(Nfs3Status.Jukebox, v3.Write(fh, 0, "new"u8.ToArray(), StableHow.FileSync).Status);
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Empty(f.Holder.Rpc.Calls);

        Assert.Equal(Nfs3Status.Ok, v3.Write(fh, 0, "new"u8.ToArray(), StableHow.FileSync).Status);
        Assert.Equal((Nfs4Status.Ok, "new bytes"), ReadWith(f.Holder, f.Handle, Stateid4Bypass));
    }

    [Theory]
    [InlineData("setattr")]
    [InlineData("remove")]
    [InlineData("rename")]
    [InlineData("link")]
    public void AnNfs3ChangeOfADelegatedFileRecallsIt(string procedure)
    {
        using HeldFile f = Hold("v3" + procedure);
        using var v3 = new Nfs3Client(fixture.Server.NfsPort);
        byte[] root = v3.Mount();
        byte[] fh = V3Handle(v3, root, f.Name);
        byte[] newName = Encoding.UTF8.GetBytes(f.Name + "-2");
        Nfs3Status Change() => procedure switch
        {
            "setattr" => v3.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, new SetAttr3Args
            {
                Object = Nfs3Client.Fh(fh),
                NewAttributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x180 } },
            }).Status,
            "remove" => v3.Remove(root, f.Name).Status,
            "rename" => v3.Call<Rename3Args, Rename3Res>(Nfs3Procedure.Rename, new Rename3Args
            {
                From = Nfs3Client.Where(root, f.Name),
                To = Nfs3Client.Where(root, newName),
            }).Status,
            _ => v3.Call<Link3Args, Link3Res>(Nfs3Procedure.Link, new Link3Args { File = Nfs3Client.Fh(fh), Link = Nfs3Client.Where(root, newName) }).Status,
        };

        Assert.Equal(Nfs3Status.Jukebox, Change());
        Assert.Equal(f.Stateid, f.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Ok, f.Return());
        Assert.Equal(Nfs3Status.Ok, Change());
    }

    [Fact]
    public void AnNfs3ReadRecallsAWriteDelegationButNotAReadOne()
    {
        using HeldFile read = Hold("v3read-r", "shared");
        using HeldFile written = Hold("v3read-w", "cached", Read | Write);
        using var v3 = new Nfs3Client(fixture.Server.NfsPort);
        byte[] root = v3.Mount();

        Read3Res plain = v3.Read(V3Handle(v3, root, read.Name), 0, 100);
        Assert.Equal(Nfs3Status.Ok, plain.Status);
        Assert.Equal("shared", Encoding.UTF8.GetString(plain.ResOk.Data.Span));

        // The write delegation's holder may have written locally: the read waits for it to come back.
        byte[] fh = V3Handle(v3, root, written.Name);
        Assert.Equal(Nfs3Status.Jukebox, v3.Read(fh, 0, 100).Status);
        Assert.Equal(written.Stateid, written.Holder.ReceiveRecall().Stateid);
        Assert.Equal(Nfs4Status.Ok, written.Return());
        Read3Res after = v3.Read(fh, 0, 100);
        Assert.Equal(Nfs3Status.Ok, after.Status);
        Assert.Equal("cached", Encoding.UTF8.GetString(after.ResOk.Data.Span));
    }
}
