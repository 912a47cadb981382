namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>One real server process shared by the tests of a class.</summary>
public sealed class ServerFixture : IDisposable
{
    public ServerFixture()
    {
        Server = new ServerProcess();
        Server.Start();
    }

    public ServerProcess Server { get; }

    public void Dispose() => Server.Dispose();
}
