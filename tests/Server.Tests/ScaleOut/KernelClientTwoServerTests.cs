using System.Text.RegularExpressions;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.ScaleOut;

/// <summary>
/// Two servers on one database and one bucket (<see cref="TwoServers"/>), a Linux kernel NFSv4.1 client on
/// each (two QEMU guests at once, tests/e2e/two-servers.sh): what the guest on A writes and fsyncs, the guest
/// on B reads back byte for byte (md5), and a file created through B is listed and read through A.
/// </summary>
[Collection(EndToEnd.KernelClientCollection.Name)]
public sealed class KernelClientTwoServerTests(ITestOutputHelper output) : IDisposable
{
    // Short lease and grace: each server starts with a grace period, which a fresh client's OPENs would wait out.
    private readonly TwoServers _servers = new(new Dictionary<string, string>
    {
        ["DittoFs:Nfs4:LeaseSeconds"] = "10",
        ["DittoFs:Nfs4:GraceSeconds"] = "10",
    });

    public void Dispose() => _servers.Dispose();

    [KernelClientPostgresFact]
    public async Task GuestOnAWrites_GuestOnBReadsItBack_AndAListsWhatBCreated()
    {
        string harness = KernelClient.RequireHarness()!;
        (ServerProcess a, ServerProcess b) = _servers.StartTwo();
        string script = KernelClient.E2e("two-servers.sh");
        // lookupcache=none, actimeo=0: each guest polls for the other's marker files and must see them.
        string[] Extra(string role) => ["--opts", "lookupcache=none,actimeo=0", "--env", "ROLE=" + role];
        Task<KernelClient.Result> onA = Task.Run(() => KernelClient.Run(harness, a, "4.1", script, Extra("a"), timeoutSeconds: 400));
        Task<KernelClient.Result> onB = Task.Run(() => KernelClient.Run(harness, b, "4.1", script, Extra("b"), timeoutSeconds: 400));
        KernelClient.Result ra = await onA;
        KernelClient.Result rb = await onB;
        PrometheusText metricsB = await PrometheusText.ScrapeAsync(b.HttpPort);
        output.WriteLine("--- guest on A\n" + ra.Output);
        output.WriteLine("--- guest on B\n" + rb.Output);
        output.WriteLine($"B's round trips to PostgreSQL: {metricsB.Sum("dittofs_postgres_round_trips_total")}");
        Assert.DoesNotContain("FAIL", ra.Output);
        Assert.DoesNotContain("FAIL", rb.Output);
        string written = Regex.Match(ra.Output, @"SUM-A ([0-9a-f]{32})").Groups[1].Value;
        Assert.Equal(32, written.Length);
        Assert.Equal(written, Regex.Match(rb.Output, @"SUM-B ([0-9a-f]{32})").Groups[1].Value);
        Assert.Contains("PASS b-sees-a-size", rb.Output);
        Assert.Contains("PASS b-reads-a-bytes", rb.Output);
        Assert.Contains("PASS a-lists-b-file", ra.Output);
        Assert.Contains("PASS a-reads-b-bytes", ra.Output);
        Assert.Equal(0, ra.ExitCode);
        Assert.Equal(0, rb.ExitCode);
    }
}
