using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using Xunit;
using Xunit.Abstractions;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// The server's disk fills up: the data directory (or only its blocks) on a small tmpfs. Writes then
/// answer NFS3ERR_NOSPC, never crash the server nor corrupt anything: committed data reads back byte
/// for byte, a failed write leaves no size or bytes behind, space freed by REMOVE is usable again,
/// and a kill -9 + restart afterwards still has every committed byte.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DiskFullTests(ITestOutputHelper output)
{
    private const int MiB = 1024 * 1024;

    private static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static void WriteCommitted(Nfs3Client client, byte[] fh, byte[] data)
    {
        for (int at = 0; at < data.Length; at += MiB)
        {
            Write3Res w = client.Write(fh, (ulong)at, data[at..Math.Min(data.Length, at + MiB)]);
            Assert.Equal(Nfs3Status.Ok, w.Status);
        }
        Assert.Equal(Nfs3Status.Ok, client.Commit(fh).Status);
    }

    private static byte[] ReadAll(Nfs3Client client, byte[] fh)
    {
        GetAttr3Res attrs = client.GetAttr(fh);
        Assert.Equal(Nfs3Status.Ok, attrs.Status);
        var all = new MemoryStream();
        ulong size = attrs.ResOk.ObjAttributes.Size;
        while ((ulong)all.Length < size)
        {
            Read3Res r = client.Read(fh, (ulong)all.Length, (uint)Math.Min(MiB, size - (ulong)all.Length));
            Assert.Equal(Nfs3Status.Ok, r.Status);
            Assert.True(r.ResOk.Count > 0, "short read before the end of the file");
            all.Write(r.ResOk.Data.Span);
        }
        return all.ToArray();
    }

    /// <summary>Writes 1 MiB pieces at the end of <paramref name="fh"/> until one fails; returns the acknowledged bytes and the failure.</summary>
    private static (byte[] Acked, Nfs3Status Failure) FillUntilFull(Nfs3Client client, byte[] fh, int seed, int maxMiB)
    {
        var acked = new MemoryStream();
        for (int i = 0; i < maxMiB; i++)
        {
            // Unaligned pieces: the one that fails lands partly in a block file that already has data.
            byte[] piece = Random(MiB - 1000, seed + i);
            Write3Res w = client.Write(fh, (ulong)acked.Length, piece);
            if (w.Status != Nfs3Status.Ok) return (acked.ToArray(), w.Status);
            acked.Write(piece);
        }
        return (acked.ToArray(), Nfs3Status.Ok);
    }

    [TmpfsFact]
    public void FullBlockStoreGivesNoSpaceAndLosesNothing()
    {
        // Blocks alone on the small disk, no reserve: writes run into the real ENOSPC.
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:DiskReserveBytes"] = "0" });
        TmpfsMount? disk = TmpfsMount.TryMount(Path.Combine(server.DataDirectory, "data", "blocks"), 16, out string? reason);
        if (disk is null) throw new InvalidOperationException(reason); // [TmpfsFact] skipped the test where no tmpfs can be mounted
        try
        {
            server.Start();
            using var client = new Nfs3Client(server.NfsPort);
            byte[] root = client.Mount();
            byte[] keepData = Random(3 * MiB + 17, 1);
            byte[] keep = client.CreateFile(root, "keep");
            WriteCommitted(client, keep, keepData);
            byte[] spareData = Random(2 * MiB, 2);
            byte[] spare = client.CreateFile(root, "spare");
            WriteCommitted(client, spare, spareData);

            byte[] fill = client.CreateFile(root, "fill");
            (byte[] acked, Nfs3Status failure) = FillUntilFull(client, fill, 100, 40);
            output.WriteLine($"full after {acked.Length} bytes: {failure}");
            Assert.Equal(Nfs3Status.NoSpc, failure);
            Assert.InRange(acked.Length, 4 * MiB, 16 * MiB);
            // The log says it once, with the disk and its free bytes (not once per refused write).
            string nospc = $"NOSPC: payload disk full at {Path.Combine(server.DataDirectory, "data", "blocks")}: ";
            Assert.Contains(nospc, server.WaitForLog(nospc, TimeSpan.FromSeconds(30)));
            Commit3Res commit = client.Commit(fill);
            Assert.True(commit.Status is Nfs3Status.Ok or Nfs3Status.NoSpc, commit.Status.ToString());

            // The failed write left no size behind, and what was acknowledged is there.
            Assert.Equal((ulong)acked.Length, client.GetAttr(fill).ResOk.ObjAttributes.Size);
            Assert.Equal(acked, ReadAll(client, fill));
            Assert.Equal(keepData, ReadAll(client, keep));
            // Still full: another file's data is refused too; metadata (elsewhere) still works.
            byte[] other = client.CreateFile(root, "other");
            Assert.Equal(Nfs3Status.NoSpc, client.Write(other, 0, Random(MiB, 3), StableHow.FileSync).Status);
            Assert.Equal(0ul, client.GetAttr(other).ResOk.ObjAttributes.Size);
            // NFSv4.1 too: WRITE answers NFS4ERR_NOSPC.
            using (var v4 = new Nfs4TestClient(server.NfsPort))
            {
                v4.Establish("disk-full");
                (byte[] v4File, byte[] stateid) = Nfs4OperationTests.CreateOpen(v4, "v4file");
                CompoundReply written = v4.Compound(3, b =>
                {
                    v4.Sequence(b);
                    Nfs4TestClient.Op(b, Nfs4Op.PutFh);
                    b.Opaque(v4File);
                    Nfs4TestClient.Op(b, Nfs4Op.Write);
                    b.Raw(stateid);
                    b.UInt64(0);
                    b.UInt32(2); // FILE_SYNC4
                    b.Opaque(Random(MiB, 5));
                });
                Assert.Equal(Nfs4Status.NoSpc, written.Status);
            }
            var fsstat = client.Call<FsStat3Args, FsStat3Res>(Nfs3Procedure.FsStat, new FsStat3Args { FsRoot = Nfs3Client.Fh(root) });
            Assert.Equal(Nfs3Status.Ok, fsstat.Status);
            Assert.True(fsstat.ResOk.FBytes < 2 * MiB, $"free {fsstat.ResOk.FBytes}");

            // Space comes back: freeing "spare" lets the file grow; the bytes the failed write had put
            // past the end are gone (the new range is a hole of zeros, not leftovers).
            Assert.Equal(Nfs3Status.Ok, client.Remove(root, "spare").Status);
            var grow = new SetAttr3Args { Object = Nfs3Client.Fh(fill), NewAttributes = new SAttr3 { Size = new SetUInt64 { Set = true, Value = (ulong)acked.Length + MiB } } };
            Assert.Equal(Nfs3Status.Ok, client.Call<SetAttr3Args, SetAttr3Res>(Nfs3Procedure.SetAttr, grow).Status);
            Read3Res tail = client.Read(fill, (ulong)acked.Length, MiB);
            Assert.Equal(Nfs3Status.Ok, tail.Status);
            Assert.Equal(MiB, tail.ResOk.Data.Length);
            Assert.True(tail.ResOk.Data.Span.IndexOfAnyExcept((byte)0) < 0, "bytes of the failed write showed up past the old end");

            Assert.Equal(Nfs3Status.Ok, client.Remove(root, "fill").Status);
            byte[] againData = Random(5 * MiB + 3, 4);
            byte[] again = client.CreateFile(root, "again");
            WriteCommitted(client, again, againData);
            Assert.Equal(againData, ReadAll(client, again));

            // kill -9 and restart: everything committed is there.
            server.Kill();
            server.Start();
            using var after = new Nfs3Client(server.NfsPort);
            Assert.Equal(keepData, ReadAll(after, keep));
            Assert.Equal(againData, ReadAll(after, again));
            Assert.Equal(Nfs3Status.NoEnt, after.Lookup(after.Mount(), "spare").Status);
        }
        finally
        {
            server.Kill();
            disk.Dispose();
        }
    }

    /// <summary>Fills a disk from outside the server (another process eating the space) until ENOSPC.</summary>
    private static long Hog(string path)
    {
        long written = 0;
        byte[] chunk = new byte[256 * 1024];
        using var hog = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        try
        {
            while (true)
            {
                hog.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
        }
        chunk = new byte[4096];
        try
        {
            while (true)
            {
                hog.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
        }
        return written;
    }

    [TmpfsFact]
    public void FullMetadataDiskGivesAnErrorNotACrashAndRestartRecovers()
    {
        using var server = new ServerProcess(settings: new Dictionary<string, string> { ["DittoFs:DiskReserveBytes"] = (8 * MiB).ToString() });
        string dataDirectory = Path.Combine(server.DataDirectory, "data");
        TmpfsMount? disk = TmpfsMount.TryMount(dataDirectory, 48, out string? reason);
        if (disk is null) throw new InvalidOperationException(reason); // [TmpfsFact] skipped the test where no tmpfs can be mounted
        try
        {
            server.Start();
            using var client = new Nfs3Client(server.NfsPort);
            byte[] root = client.Mount();
            byte[] keepData = Random(2 * MiB + 5, 11);
            byte[] keep = client.CreateFile(root, "keep");
            WriteCommitted(client, keep, keepData);
            byte[] dir = client.MkDir(root, "d").ResOk.Obj.Handle!.Value.Data.ToArray();

            // Data and metadata share the disk. Data stops at the reserve: metadata still has room.
            byte[] fill = client.CreateFile(root, "fill");
            (byte[] acked, Nfs3Status failure) = FillUntilFull(client, fill, 200, 64);
            Assert.Equal(Nfs3Status.NoSpc, failure);
            Assert.Equal(Nfs3Status.Ok, client.Commit(fill).Status);
            // FSSTAT (df) counts the reserve as used: what it shows free is what writes can still use.
            var fsstat = client.Call<FsStat3Args, FsStat3Res>(Nfs3Procedure.FsStat, new FsStat3Args { FsRoot = Nfs3Client.Fh(root) });
            Assert.True(fsstat.ResOk.FBytes < 2 * MiB, $"free {fsstat.ResOk.FBytes}");
            var created = new List<string>();
            for (int i = 0; i < 100; i++)
            {
                string name = $"f{i:d5}";
                Nfs3Status s = client.Create(dir, name).Status;
                Assert.True(s == Nfs3Status.Ok, $"CREATE {name} with the data disk at its reserve: {s}");
                created.Add(name);
            }

            // Another process takes the rest: metadata changes are refused cleanly, nothing crashes.
            long hogged = Hog(Path.Combine(dataDirectory, "hog"));
            var statuses = new Dictionary<Nfs3Status, int>();
            string? refused = null;
            for (int i = 0; i < 50; i++)
            {
                RpcReply reply = client.Rpc.Call(Nfs3Client.NfsProgram, 3, (uint)Nfs3Procedure.Create, a => a.Write(new Create3Args
                {
                    Where = Nfs3Client.Where(dir, $"late{i}"),
                    How = new CreateHow3 { Mode = CreateMode3.Unchecked, ObjAttributes = default },
                }));
                if (!reply.Accepted || reply.Status != 0) Thread.Sleep(500);
                Assert.True(reply.Accepted && reply.Status == 0, $"CREATE: accept_stat {reply.Status}\n{server.Log}");
                Nfs3Status s = reply.Decode<Create3Res>().Status;
                statuses[s] = statuses.GetValueOrDefault(s) + 1;
                // The free space is re-read at most once a second while it looked plentiful, and a
                // small WAL append may still fit in a page already allocated: a few may succeed.
                Assert.True(s is Nfs3Status.Ok or Nfs3Status.NoSpc or Nfs3Status.Io, $"CREATE {i}: {s}");
                if (s == Nfs3Status.Ok) created.Add($"late{i}");
                else refused ??= $"late{i}";
                if (s == Nfs3Status.Ok) Thread.Sleep(100);
            }
            Assert.NotNull(refused);
            Nfs3Status mkdir = client.MkDir(root, "late-dir").Status;
            Assert.True(mkdir is Nfs3Status.NoSpc or Nfs3Status.Io, mkdir.ToString());
            output.WriteLine($"fill {acked.Length} bytes, hog {hogged}; late creates: {string.Join(", ", statuses.Select(kv => $"{kv.Key}={kv.Value}"))}");
            Assert.False(server.HasExited, "the server exited:\n" + server.Log);
            Assert.Equal(Nfs3Status.Ok, client.GetAttr(root).Status);
            Assert.Equal(keepData, ReadAll(client, keep));
            Assert.Equal(acked, ReadAll(client, fill));

            // kill -9 and restart with the disk still full: it starts, everything committed is there.
            server.Kill();
            server.Start();
            using var after = new Nfs3Client(server.NfsPort);
            byte[] root2 = after.Mount();
            Assert.Equal(keepData, ReadAll(after, keep));
            Assert.Equal(acked, ReadAll(after, fill));
            foreach (string name in created) Assert.Equal(Nfs3Status.Ok, after.Lookup(dir, name).Status);
            Assert.Equal(Nfs3Status.NoEnt, after.Lookup(dir, refused).Status);

            // The other process lets go of its space: no restart needed, changes work again.
            File.Delete(Path.Combine(dataDirectory, "hog"));
            Assert.Equal(Nfs3Status.Ok, after.Remove(root2, "fill").Status);
            byte[] againData = Random(3 * MiB, 12);
            byte[] again = after.CreateFile(root2, "again");
            WriteCommitted(after, again, againData);
            Assert.Equal(Nfs3Status.Ok, after.Create(dir, "after").Status);
            server.Kill();
            server.Start();
            using var last = new Nfs3Client(server.NfsPort);
            byte[] root3 = last.Mount();
            Assert.Equal(againData, ReadAll(last, again));
            Assert.Equal(keepData, ReadAll(last, keep));
            Assert.Equal(Nfs3Status.Ok, last.Lookup(dir, "after").Status);
            Assert.Equal(Nfs3Status.NoEnt, last.Lookup(root3, "fill").Status);
        }
        finally
        {
            server.Kill();
            disk.Dispose();
        }
    }
}
