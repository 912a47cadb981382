using DittoFs.Storage.Tests.S3;

namespace DittoFs.Server.Tests.Infrastructure;

/// <summary>The settings of a server whose blocks live in a moto bucket (DittoFs:PayloadStore=S3).</summary>
internal static class S3Settings
{
    /// <summary>The bucket's settings at <paramref name="endpoint"/> (moto, or a proxy in front of it), plus <paramref name="more"/>.</summary>
    public static Dictionary<string, string> For(string endpoint, string bucket, string prefix, Dictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["DittoFs:PayloadStore"] = "S3",
            ["DittoFs:S3:Endpoint"] = endpoint,
            ["DittoFs:S3:Region"] = MotoServer.Region,
            ["DittoFs:S3:Bucket"] = bucket,
            ["DittoFs:S3:Prefix"] = prefix,
            ["DittoFs:S3:AccessKey"] = MotoServer.AccessKey,
            ["DittoFs:S3:SecretKey"] = MotoServer.SecretKey,
        };
        foreach (var (key, value) in more ?? []) settings[key] = value;
        return settings;
    }
}
