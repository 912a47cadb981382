using System.ComponentModel.DataAnnotations;
using DittoFs.Server.Options;
using Xunit;

namespace DittoFs.Server.Tests.Options;

public sealed class DittoFsOptionsTests
{
    private static List<string> Errors(DittoFsOptions o)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(o, new ValidationContext(o), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage ?? "").ToList();
    }

    [Fact]
    public void DefaultsAreValid() => Assert.Empty(Errors(new DittoFsOptions()));

    [Fact]
    public void LimitsThatContradictEachOtherAreRefused()
    {
        Assert.Contains(Errors(new DittoFsOptions { MaxConnections = 10, MaxConnectionsPerAddress = 11 }), e => e.Contains("MaxConnectionsPerAddress", StringComparison.Ordinal));
        Assert.Contains(Errors(new DittoFsOptions { MaxReplyBytes = 1 << 20, MaxReplyBytesPerConnection = 2 << 20 }), e => e.Contains("MaxReplyBytesPerConnection", StringComparison.Ordinal));
        Assert.Contains(Errors(new DittoFsOptions { IdleTimeoutSeconds = 5, RecordTimeoutSeconds = 10 }), e => e.Contains("IdleTimeoutSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public void OutOfRangeLimitsAreRefused()
    {
        Assert.NotEmpty(Errors(new DittoFsOptions { MaxConnections = 0 }));
        Assert.NotEmpty(Errors(new DittoFsOptions { MaxReplyBytesPerConnection = 1000 }));
        Assert.NotEmpty(Errors(new DittoFsOptions { RecordTimeoutSeconds = 0 }));
    }
}
