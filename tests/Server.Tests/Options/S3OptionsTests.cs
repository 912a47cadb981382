using DittoFs.Server.Options;
using Xunit;

namespace DittoFs.Server.Tests.Options;

/// <summary>S3 credentials from secret files (DittoFs__S3__SecretKeyFile=/run/secrets/...), as the README's Scaleway section shows.</summary>
public sealed class S3OptionsTests
{
    [Fact]
    public void KeysComeFromFilesWhenNotSetDirectly()
    {
        string access = Path.GetTempFileName();
        string secret = Path.GetTempFileName();
        try
        {
            File.WriteAllText(access, "SCWACCESS\n");
            File.WriteAllText(secret, " scw-secret \n");
            var o = new S3Options { AccessKeyFile = access, SecretKeyFile = secret };
            Assert.Equal("SCWACCESS", o.ResolveAccessKey());
            Assert.Equal("scw-secret", o.ResolveSecretKey());
            Assert.Equal("direct", new S3Options { AccessKey = "direct", AccessKeyFile = access }.ResolveAccessKey());
            Assert.Equal("", new S3Options().ResolveSecretKey());
        }
        finally
        {
            File.Delete(access);
            File.Delete(secret);
        }
    }
}
