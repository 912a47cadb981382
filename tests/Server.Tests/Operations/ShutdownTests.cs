using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Operations;

/// <summary>
/// Issue 16: SIGTERM with clients connected (a kernel mount always holds a connection) ends in a
/// few seconds, not Kestrel's 30 s shutdown timeout after which Docker would SIGKILL the server
/// before its clean checkpoint; what was committed is there after the restart.
/// </summary>
public sealed class ShutdownTests : IDisposable
{
    private readonly ServerProcess _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public void SigtermWithIdleClientsConnectedExitsWithinFiveSeconds()
    {
        _server.Start();
        byte[] data = new byte[100_000];
        Random.Shared.NextBytes(data);
        using var idle = new Nfs3Client(_server.NfsPort);
        using var second = new Nfs3Client(_server.NfsPort);
        byte[] file = idle.CreateFile(idle.Mount(), "kept");
        Assert.Equal(Nfs3Status.Ok, idle.Write(file, 0, data).Status);
        Assert.Equal(Nfs3Status.Ok, idle.Commit(file).Status);
        second.Mount(); // two connections, both idle now

        (bool exited, TimeSpan elapsed, int exitCode) = _server.Terminate(TimeSpan.FromSeconds(20)); // bounded wait; the bar is 5 s
        Assert.True(exited, "still running 20 s after SIGTERM:\n" + _server.Log);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"SIGTERM took {elapsed.TotalSeconds:0.0} s with idle clients connected");
        Assert.Equal(0, exitCode);

        _server.Start();
        using var after = new Nfs3Client(_server.NfsPort);
        Lookup3Res found = after.Lookup(after.Mount(), "kept");
        Assert.Equal(Nfs3Status.Ok, found.Status);
        Assert.Equal(data, after.ReadAll(found.ResOk.Object.Data.ToArray(), data.Length));
    }
}
