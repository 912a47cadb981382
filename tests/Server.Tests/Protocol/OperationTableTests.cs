using DittoFs.Server.Metrics;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using Xunit;

namespace DittoFs.Server.Tests.Protocol;

/// <summary>The NFSv3 procedure table and the NFSv4.1/4.2 operation table: one row per number, RFC names, the flags that drive the checks.</summary>
public sealed class OperationTableTests
{
    [Fact]
    public void Nfs3TableHasOneRowPerProcedureInNumberOrder()
    {
        Assert.Equal(22, Nfs3Program.Procedures.Count);
        for (uint i = 0; i < Nfs3Program.Procedures.Count; i++) Assert.Equal(i, (uint)Nfs3Program.Procedures[(int)i].Procedure);
        Assert.Null(Nfs3Program.Describe(22));
        Assert.Null(Nfs3Program.Describe(uint.MaxValue));
        Assert.Equal("READDIRPLUS", Nfs3Program.Describe(17)!.Name);
    }

    [Fact]
    public void Nfs3FlagsDriveTheReplyCacheAndReadOnlyExports()
    {
        // knfsd's RC_REPLBUFF set: the procedures whose retry must see the first reply.
        Assert.Equal(
            ["SETATTR", "CREATE", "MKDIR", "SYMLINK", "MKNOD", "REMOVE", "RMDIR", "RENAME", "LINK"],
            Nfs3Program.Procedures.Where(p => p.NonIdempotent).Select(p => p.Name));
        Assert.Equal(
            ["SETATTR", "WRITE", "CREATE", "MKDIR", "SYMLINK", "MKNOD", "REMOVE", "RMDIR", "RENAME", "LINK"],
            Nfs3Program.Procedures.Where(p => p.Modifies).Select(p => p.Name));
        var program = new Nfs3Program(null!, null!);
        Assert.True(program.IsNonIdempotent(3, (uint)Nfs3Procedure.Remove));
        Assert.False(program.IsNonIdempotent(3, (uint)Nfs3Procedure.Write));
        Assert.False(program.IsNonIdempotent(3, 99));
    }

    [Fact]
    public void Nfs4TableCoversEveryMinorVersion1And2Operation()
    {
        Nfs4Operation[] ops = Nfs4Program.Operations.ToArray();
        Assert.Equal(Enumerable.Range(3, 73).Select(i => (uint)i), ops.Select(o => (uint)o.Op));
        Assert.Equal("SEEK", Nfs4Program.Describe(69, minor: 2).Name);
        Assert.Equal("REMOVEXATTR", Nfs4Program.Describe(75, minor: 2).Name);
        Assert.Equal(Nfs4Op.Illegal, Nfs4Program.Describe(69, minor: 1).Op);
        Assert.Equal(Nfs4Op.Illegal, Nfs4Program.Describe(76, minor: 2).Op);
        Assert.Equal("COPY", Nfs4Program.Describe(60, minor: 2).Name);
        Assert.Equal("CLONE", Nfs4Program.Describe(71, minor: 2).Name);
        Assert.Equal(ops.Length, ops.Select(o => o.Name).Distinct().Count());
        Assert.Equal("OPEN", Nfs4Program.Describe(18).Name);
        Assert.Equal("SECINFO_NO_NAME", Nfs4Program.Describe(52).Name);
        Assert.Equal("RECLAIM_COMPLETE", Nfs4Program.Describe(58).Name);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(76u)]
    [InlineData(10044u)]
    [InlineData(uint.MaxValue)]
    public void AnyOtherNumberIsIllegal(uint op)
    {
        Nfs4Operation illegal = Nfs4Program.Describe(op);
        Assert.Equal(Nfs4Op.Illegal, illegal.Op);
        Assert.Equal("ILLEGAL", illegal.Name);
    }

    [Fact]
    public void Nfs4FlagsMatchTheRfc()
    {
        string[] Having(Nfs4Flags flag) => Nfs4Program.Operations.Where(o => o.Has(flag)).Select(o => o.Name).ToArray();
        Assert.Equal(["CREATE", "LINK", "REMOVE", "RENAME", "SETATTR", "WRITE", "ALLOCATE", "COPY", "DEALLOCATE", "CLONE", "SETXATTR", "REMOVEXATTR"], Having(Nfs4Flags.Modifies));
        Assert.Equal(["LINK", "RENAME", "COPY", "CLONE"], Having(Nfs4Flags.NeedsSavedFh));
        Assert.Equal(["SEQUENCE"], Having(Nfs4Flags.SequenceOnly));
        Assert.Equal(["OPEN_CONFIRM", "RENEW", "SETCLIENTID", "SETCLIENTID_CONFIRM", "RELEASE_LOCKOWNER"], Having(Nfs4Flags.Minor0Only));
        Assert.Equal(["BIND_CONN_TO_SESSION", "EXCHANGE_ID", "CREATE_SESSION", "DESTROY_SESSION", "DESTROY_CLIENTID"], Having(Nfs4Flags.AllowedWithoutSession));
        Assert.DoesNotContain("PUTFH", Having(Nfs4Flags.NeedsCurrentFh));
        Assert.DoesNotContain("RESTOREFH", Having(Nfs4Flags.NeedsCurrentFh));
        Assert.Contains("GETFH", Having(Nfs4Flags.NeedsCurrentFh));
    }

    [Fact]
    public void StatusNamesAreTheRfcNames()
    {
        Assert.Equal("NFS4ERR_GRACE", NfsStatusNames.Nfs4((int)Nfs4Status.Grace).Value);
        Assert.Equal("NFS4ERR_REP_TOO_BIG_TO_CACHE", NfsStatusNames.Nfs4((int)Nfs4Status.RepTooBigToCache).Value);
        Assert.Equal("NFS4_OK", NfsStatusNames.Nfs4(0).Value);
        Assert.Equal("NFS3ERR_NOENT", NfsStatusNames.Nfs3((int)Nfs3Status.NoEnt).Value);
        Assert.Equal("UNKNOWN", NfsStatusNames.Nfs4(123456).Value);
        // Every status this server can answer has its name.
        foreach (Nfs4Status status in Enum.GetValues<Nfs4Status>()) Assert.NotEqual("UNKNOWN", NfsStatusNames.Nfs4((int)status).Value);
        foreach (Nfs3Status status in Enum.GetValues<Nfs3Status>()) Assert.NotEqual("UNKNOWN", NfsStatusNames.Nfs3((int)status).Value);
    }
}
