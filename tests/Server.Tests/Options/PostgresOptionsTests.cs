using DittoFs.Server.Options;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace DittoFs.Server.Tests.Options;

/// <summary>DittoFs:MetadataStore=Postgres is validated at start; the connection string (a password) is never quoted back.</summary>
public sealed class PostgresOptionsTests
{
    private static ConfigurationValidator.Report Validate(params (string Key, string Value)[] settings) =>
        ConfigurationValidator.Validate(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void Postgres_NeedsAConnectionString()
    {
        ConfigurationValidator.Report report = Validate(("DittoFs:MetadataStore", "Postgres"));
        Assert.Contains(report.Errors, e => e.Contains("DittoFs:Postgres:ConnectionString", StringComparison.Ordinal) && e.Contains("required", StringComparison.Ordinal));
    }

    [Fact]
    public void Postgres_WithAConnectionString_IsValid_AndFromAFile()
    {
        Assert.True(Validate(("DittoFs:MetadataStore", "Postgres"), ("DittoFs:Postgres:ConnectionString", "Host=db;Database=dittofs;Username=u;Password=p")).IsValid);
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "Host=db;Database=dittofs;Username=u;Password=from-file\n");
            ConfigurationValidator.Report report = Validate(("DittoFs:MetadataStore", "Postgres"), ("DittoFs:Postgres:ConnectionStringFile", file));
            Assert.True(report.IsValid, string.Join("; ", report.Errors));
            Assert.Equal("Host=db;Database=dittofs;Username=u;Password=from-file", report.Options!.Postgres.ResolveConnectionString());
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Contains(Validate(("DittoFs:MetadataStore", "Postgres"), ("DittoFs:Postgres:ConnectionStringFile", "/nonexistent/pg")).Errors,
            e => e.Contains("no such file", StringComparison.Ordinal));
    }

    [Fact]
    public void Postgres_BadConnectionString_IsRefusedWithoutQuotingIt()
    {
        const string secret = "s3cr3t-password";
        ConfigurationValidator.Report report = Validate(("DittoFs:MetadataStore", "Postgres"), ("DittoFs:Postgres:ConnectionString", $"Hots=db;Password={secret}"));
        Assert.False(report.IsValid);
        Assert.Contains(report.Errors, e => e.Contains("DittoFs:Postgres:ConnectionString", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Errors.Concat(report.Warnings), e => e.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public void Postgres_WithMetadataShipping_IsRefused()
    {
        ConfigurationValidator.Report report = Validate(("DittoFs:MetadataStore", "Postgres"), ("DittoFs:Postgres:ConnectionString", "Host=db"),
            ("DittoFs:Metadata:Ship", "true"), ("DittoFs:S3:Bucket", "b"));
        Assert.Contains(report.Errors, e => e.Contains("Metadata:Ship", StringComparison.Ordinal));
    }
}
