using DittoFs.Server.Protocol.Nfs3;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>
/// A server with "/export" (no squashing) and "/rootsquash" (root squashed to 65534), both with
/// a 0777 root so uid 1000 and the squashed root may create in them. A squashed root cannot open
/// up its own export: the volumes are prepared unsquashed, then the server restarts with the rule.
/// </summary>
public sealed class SquashFixture : IDisposable
{
    private readonly ServerProcess _setup;

    public SquashFixture()
    {
        var settings = new Dictionary<string, string>
        {
            ["DittoFs:Exports:1:Path"] = "/rootsquash",
            ["DittoFs:Exports:1:Squash"] = "None",
        };
        _setup = new ServerProcess(settings: settings);
        _setup.Start();
        using (var client = new Nfs3Client(_setup.NfsPort))
        {
            foreach (string path in new[] { "/export", "/rootsquash" })
            {
                var chmod = new SetAttr3Args { Object = Nfs3Client.Fh(client.Mount(path)), NewAttributes = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1FF } } };
                if (client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, chmod).Status != Nfs3Status.Ok) throw new InvalidOperationException("chmod " + path);
            }
        }
        _setup.Stop();
        settings["DittoFs:Exports:1:Squash"] = "Root";
        Server = new ServerProcess(_setup.DataDirectory, settings);
        Server.Start();
    }

    public ServerProcess Server { get; }

    public void Dispose()
    {
        Server.Dispose();
        _setup.Dispose();
    }
}
