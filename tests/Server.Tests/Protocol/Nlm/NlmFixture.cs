using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nlm;

/// <summary>A server whose callbacks (NLM_GRANTED, SM_NOTIFY) go to a fake client host on loopback.</summary>
public sealed class NlmFixture : IDisposable
{
    public NlmFixture()
    {
        ClientHost = new FakeClientHost();
        Server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:Nlm:ClientPortmapPort"] = ClientHost.Port.ToString() });
        Server.Start();
    }

    public FakeClientHost ClientHost { get; }

    public ServerProcess Server { get; }

    /// <summary>A new file, created over NFSv3: its name and v3 handle.</summary>
    public (string Name, byte[] Fh) NewFile(string prefix)
    {
        using var v3 = new Nfs3Client(Server.NfsPort);
        byte[] root = v3.Mount();
        string name = prefix + Guid.NewGuid().ToString("N")[..10];
        Create3Res created = v3.Create(root, name);
        Assert.Equal(Nfs3Status.Ok, created.Status);
        return (name, created.ResOk.Obj.Handle!.Value.Data.ToArray());
    }

    public void Dispose()
    {
        Server.Dispose();
        ClientHost.Dispose();
    }
}
