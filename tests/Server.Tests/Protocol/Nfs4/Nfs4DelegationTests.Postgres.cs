using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

// Several servers on one PostgreSQL database: NFSv4 state is per server, so a delegation granted here could not
// be recalled when another server's client changes the file. None is granted (OPEN_DELEGATE_NONE).
public sealed partial class Nfs4DelegationTests
{
    [PostgresFact]
    public void NoDelegationsWhenTheMetadataIsShared()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:MetadataStore"] = "Postgres" });
        server.Environment["DITTOFS__POSTGRES__CONNECTIONSTRING"] = PostgresServer.Shared.CreateDatabase();
        server.Start();
        using var b = new Nfs4TestClient(server.NfsPort);
        b.Establish(Unique("shared-b-"));
        string name = Unique("shared-");
        CreateFile(b, name, "x");
        using Nfs4TestClient a = Holder(server.NfsPort, "shared-a-");
        // Long enough for the back channel probe's answer to land (a delegation would come within it otherwise).
        DateTime until = DateTime.UtcNow.AddSeconds(3);
        for (int i = 0; DateTime.UtcNow < until; i++)
        {
            Opened asked = Open(a, $"reader{i}", name, Read | WantReadDeleg);
            Assert.Equal(Nfs4Status.Ok, asked.Status);
            Assert.Equal(3u, asked.DelegationType); // OPEN_DELEGATE_NONE_EXT
            Thread.Sleep(100);
        }
        Assert.Equal(Nfs4Status.Ok, Open(b, "writer", name, Write).Status);
    }
}
