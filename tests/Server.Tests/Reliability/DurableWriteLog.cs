using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Reliability;

/// <summary>
/// A client that writes random data over NFSv3 until the server dies under it, remembering exactly what
/// the server promised: writes covered by a COMMIT reply or answered DATA_SYNC/FILE_SYNC, files whose
/// CREATE, names whose REMOVE and directories whose MKDIR were answered. <see cref="Verify"/> then reads
/// all of it back from a restarted (or restored) server.
/// </summary>
internal sealed class DurableWriteLog
{
    private const int MaxWritesPerRound = 20_000; // in practice: until the kill

    private sealed class TrackedFile(string name, byte[] handle)
    {
        public string Name { get; } = name;
        public byte[] Handle { get; } = handle;
        public ulong NextOffset { get; set; }
        /// <summary>Non-overlapping writes acknowledged by the server; Durable once a COMMIT covered them or the reply said so.</summary>
        public List<(ulong Offset, byte[] Data, bool Durable)> Writes { get; } = [];
    }

    private readonly List<TrackedFile> _files = [];
    private readonly List<string> _removed = [];
    private readonly List<string> _dirs = [];

    public sealed record Round(int Acked, int Durable, int Commits, ulong? Verifier);

    public int FileCount { get { lock (_files) return _files.Count; } }

    /// <summary>
    /// One round: a CREATE, a REMOVE, a MKDIR, then random WRITEs (UNSTABLE, DATA_SYNC, FILE_SYNC) and
    /// COMMITs over every file so far, until <paramref name="kill"/> (called after <paramref name="killAfterMs"/>)
    /// cuts the connection. Writes still unstable at the kill are forgotten: never promised, a real client
    /// sees the new verifier and resends them; later writes never overlap them.
    /// </summary>
    public Round RunUntilKilled(int nfsPort, int round, int seed, int killAfterMs, Action kill)
    {
        ulong? verifier = null;
        int durableCount = 0, acked = 0, commits = 0;
        Exception? unexpected = null;
        var writer = new Thread(() =>
        {
            var rnd = new Random(seed);
            try
            {
                using var client = new Nfs3Client(nfsPort);
                byte[] root = client.Mount();
                string name = $"r{round}";
                byte[] fh = client.CreateFile(root, name);
                lock (_files) _files.Add(new TrackedFile(name, fh));
                // The removed file had data first: on S3 its block is packed or dropped before its upload.
                byte[] tmp = client.CreateFile(root, $"tmp{round}");
                client.Write(tmp, 0, new byte[rnd.Next(1, 3000)], StableHow.Unstable);
                if (client.Remove(root, $"tmp{round}").Status != Nfs3Status.Ok) throw new InvalidOperationException("REMOVE");
                lock (_files) _removed.Add($"tmp{round}");
                if (client.MkDir(root, $"d{round}").Status != Nfs3Status.Ok) throw new InvalidOperationException("MKDIR");
                lock (_files) _dirs.Add($"d{round}");
                for (int n = 0; n < MaxWritesPerRound; n++)
                {
                    TrackedFile f;
                    lock (_files) f = _files[rnd.Next(_files.Count)];
                    int op = rnd.Next(10);
                    if (op == 3)
                    {
                        // A small file of one FILE_SYNC write: on S3, packed with others into a segment.
                        string smallName = $"s{round}-{n}";
                        byte[] small = client.CreateFile(root, smallName);
                        var file = new TrackedFile(smallName, small);
                        lock (_files) _files.Add(file);
                        byte[] bytes = new byte[rnd.Next(1, 4000)];
                        rnd.NextBytes(bytes);
                        Write3Res sw = client.Write(small, 0, bytes, StableHow.FileSync);
                        if (sw.Status != Nfs3Status.Ok || sw.ResOk.Committed == StableHow.Unstable) throw new InvalidOperationException($"WRITE {smallName}: {sw.Status}");
                        file.NextOffset = (ulong)bytes.Length;
                        lock (_files) file.Writes.Add((0, bytes, true));
                        durableCount++;
                        acked++;
                        continue;
                    }
                    if (op == 0)
                    {
                        Commit3Res c = client.Commit(f.Handle);
                        if (c.Status != Nfs3Status.Ok) throw new InvalidOperationException($"COMMIT {f.Name}: {c.Status}");
                        verifier ??= c.ResOk.Verf;
                        if (c.ResOk.Verf != verifier) throw new InvalidOperationException("COMMIT verifier differs from WRITE's");
                        lock (_files)
                        {
                            for (int i = 0; i < f.Writes.Count; i++) if (!f.Writes[i].Durable) f.Writes[i] = f.Writes[i] with { Durable = true };
                        }
                        commits++;
                        continue;
                    }
                    StableHow stable = op == 1 ? StableHow.FileSync : op == 2 ? StableHow.DataSync : StableHow.Unstable; // op 3: a small file, above
                    byte[] data = new byte[rnd.Next(1, 3000)];
                    rnd.NextBytes(data);
                    ulong offset = f.NextOffset + (ulong)rnd.Next(0, 2048); // gaps make holes
                    f.NextOffset = offset + (ulong)data.Length;
                    Write3Res w = client.Write(f.Handle, offset, data, stable);
                    if (w.Status != Nfs3Status.Ok) throw new InvalidOperationException($"WRITE {f.Name}: {w.Status}");
                    if (w.ResOk.Count != data.Length) throw new InvalidOperationException($"WRITE count {w.ResOk.Count}");
                    if (stable != StableHow.Unstable && w.ResOk.Committed == StableHow.Unstable) throw new InvalidOperationException($"WRITE {stable} answered UNSTABLE");
                    verifier ??= w.ResOk.Verf;
                    if (w.ResOk.Verf != verifier) throw new InvalidOperationException("verifier changed within one server run");
                    bool durable = w.ResOk.Committed != StableHow.Unstable;
                    lock (_files) f.Writes.Add((offset, data, durable));
                    acked++;
                    if (durable) durableCount++;
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                // the kill
            }
            catch (Exception e)
            {
                unexpected = e;
            }
        }) { IsBackground = true };
        writer.Start();
        Thread.Sleep(killAfterMs);
        kill();
        Assert.True(writer.Join(TimeSpan.FromSeconds(30)), "writer hung after the kill");
        Assert.True(acked < MaxWritesPerRound, "the writer finished before the kill");
        Assert.Null(unexpected);
        lock (_files)
        {
            foreach (TrackedFile f in _files) f.Writes.RemoveAll(w => !w.Durable);
        }
        return new Round(acked, durableCount, commits, verifier);
    }

    /// <summary>
    /// Every durable write reads back byte for byte, sizes cover it, every created file answers under its
    /// handle. With <paramref name="namespaceOps"/> also removed names stay removed and directories exist.
    /// Returns how many writes were checked.
    /// </summary>
    /// <summary>
    /// After an instance loss: a file with no durable write may be gone with the instance (its CREATE was
    /// answered, but nothing made it durable in the bucket before the kill: e.g. a small file whose FILE_SYNC
    /// WRITE the kill cut off). Its old handle then rightly answers STALE: later rounds stop writing to it.
    /// </summary>
    public void ForgetFilesWithoutDurableWrites()
    {
        lock (_files) _files.RemoveAll(f => !f.Writes.Any(w => w.Durable));
    }

    public int Verify(int nfsPort, bool namespaceOps = true)
    {
        using var client = new Nfs3Client(nfsPort);
        byte[] root = client.Mount();
        int checkedWrites = 0;
        if (namespaceOps)
        {
            foreach (string gone in _removed) Assert.Equal(Nfs3Status.NoEnt, client.Lookup(root, gone).Status);
            foreach (string dir in _dirs) Assert.Equal(Nfs3Status.Ok, client.Lookup(root, dir).Status);
        }
        foreach (TrackedFile f in _files)
        {
            var durable = f.Writes.Where(w => w.Durable).ToList();
            if (!namespaceOps && durable.Count == 0) continue; // nothing promised the CREATE alone would leave the instance
            Lookup3Res l = client.Lookup(root, f.Name);
            Assert.True(l.Status == Nfs3Status.Ok, $"{f.Name}: {l.Status} after restart");
            Assert.Equal(f.Handle, l.ResOk.Object.Data.ToArray());
            GetAttr3Res a = client.GetAttr(f.Handle);
            Assert.Equal(Nfs3Status.Ok, a.Status);
            if (durable.Count == 0) continue;
            ulong size = a.ResOk.ObjAttributes.Size;
            ulong needed = durable.Max(w => w.Offset + (ulong)w.Data.Length);
            Assert.True(size >= needed, $"{f.Name}: size {size} < committed end {needed}");

            foreach (var (offset, data, _) in durable)
            {
                // Each promised range on its own: bytes nobody promised (a block whose never-uploaded
                // copy went with the instance) may honestly read as an IO error, never as other bytes.
                byte[] got = ReadRange(client, f, offset, data.Length);
                if (!got.AsSpan().SequenceEqual(data))
                {
                    int i = 0;
                    while (got[i] == data[i]) i++;
                    Assert.Fail($"{f.Name}: committed write at {offset} (+{data.Length}) differs at byte {offset + (ulong)i}");
                }
                checkedWrites++;
            }
        }
        return checkedWrites;
    }

    private static byte[] ReadRange(Nfs3Client client, TrackedFile f, ulong offset, int length)
    {
        byte[] content = new byte[length];
        for (int at = 0; at < length;)
        {
            Read3Res r = client.Read(f.Handle, offset + (ulong)at, (uint)(length - at));
            Assert.True(r.Status == Nfs3Status.Ok, $"{f.Name}: READ at {offset + (ulong)at}: {r.Status}");
            Assert.True(r.ResOk.Data.Length > 0, $"{f.Name}: short read at {offset + (ulong)at}");
            r.ResOk.Data.Span.CopyTo(content.AsSpan(at));
            at += r.ResOk.Data.Length;
        }
        return content;
    }
}
