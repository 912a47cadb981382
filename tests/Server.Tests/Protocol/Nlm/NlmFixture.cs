using DittoFs.Server.Tests.Infrastructure;

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

    public void Dispose()
    {
        Server.Dispose();
        ClientHost.Dispose();
    }
}
