using System.Net;
using DittoFs.Server.Options;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Exports;

/// <summary>One export at run time: its options, its volume's root, and the rules for who gets in as whom.</summary>
internal sealed class Export
{
    private readonly IPNetwork[] _allowed;

    public Export(ExportOptions options, FileId root)
    {
        Options = options;
        Root = root;
        Path = ExportTable.NormalizePath(options.Path);
        MetricTag = Metrics.NfsMetrics.ExportTag(Path);
        _allowed = options.AllowedClients.Select(IPNetwork.Parse).ToArray();
    }

    public ExportOptions Options { get; }

    /// <summary>The name the admin API and exports.json use (<see cref="ExportOptions.Name"/>, default the path).</summary>
    public string Name => Options.Name ?? Path;

    public string Path { get; }

    /// <summary>The <c>export</c> label of its NFS metrics (the path), made once: recording allocates nothing.</summary>
    public KeyValuePair<string, object?> MetricTag { get; }

    public FileId Root { get; }

    public uint Volume => Root.Volume;

    public bool ReadOnly => Options.ReadOnly;

    public bool IsClientAllowed(IPAddress? address)
    {
        if (_allowed.Length == 0) return true;
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (IPNetwork network in _allowed)
        {
            if (network.Contains(address)) return true;
        }
        return false;
    }

    /// <summary>
    /// The identity the filesystem sees: AUTH_NONE and all-squash map to the
    /// anonymous ids; root-squash maps uid 0 (and gid 0) to them. False when
    /// the export refuses the credential's flavor.
    /// </summary>
    public bool TryMapCaller(AuthFlavor flavor, in Caller caller, out Caller mapped)
    {
        mapped = caller;
        if (flavor == AuthFlavor.None)
        {
            if (!Options.AllowAuthNone) return false;
            mapped = Anonymous();
            return true;
        }
        switch (Options.Squash)
        {
            case SquashMode.All:
                mapped = Anonymous();
                break;
            case SquashMode.Root when caller.Uid == 0:
                mapped = Anonymous();
                break;
            case SquashMode.Root:
                // Group 0 carries root-like rights on many systems: squash it too, as knfsd does.
                if (mapped.Gid == 0) mapped.Gid = Options.AnonymousGid;
                for (int i = 0; i < mapped.GroupCount; i++)
                {
                    if (mapped.Groups[i] == 0) mapped.Groups[i] = Options.AnonymousGid;
                }
                break;
        }
        return true;
    }

    private Caller Anonymous() => new(Options.AnonymousUid, Options.AnonymousGid);
}
