using System.Buffers.Binary;

namespace DittoFs.LoadGen;

/// <summary>
/// The deterministic content of every file: the 8-byte word at absolute file position pos
/// (a multiple of 8) of file <c>fid</c> is Mix(fid, pos), little-endian. A block at any aligned
/// offset can be generated (to write) or checked (after a read) on its own.
/// </summary>
public static class Pattern
{
    public static ulong Mix(ulong fid, ulong pos)
    {
        ulong z = fid * 0x9E3779B97F4A7C15UL + pos + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Fills <paramref name="into"/> with the bytes at [offset, offset + into.Length) of file <paramref name="fid"/>; offset must be a multiple of 8.</summary>
    public static void Fill(Span<byte> into, ulong fid, ulong offset)
    {
        if (offset % 8 != 0) throw new ArgumentException("offset must be a multiple of 8", nameof(offset));
        int whole = into.Length & ~7;
        for (int i = 0; i < whole; i += 8) BinaryPrimitives.WriteUInt64LittleEndian(into[i..], Mix(fid, offset + (ulong)i));
        if (whole < into.Length)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(last, Mix(fid, offset + (ulong)whole));
            last[..(into.Length - whole)].CopyTo(into[whole..]);
        }
    }

    /// <summary>True when <paramref name="data"/> is the content at <paramref name="offset"/> of file <paramref name="fid"/>.</summary>
    public static bool Check(ReadOnlySpan<byte> data, ulong fid, ulong offset)
    {
        int whole = data.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            if (BinaryPrimitives.ReadUInt64LittleEndian(data[i..]) != Mix(fid, offset + (ulong)i)) return false;
        }
        if (whole < data.Length)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(last, Mix(fid, offset + (ulong)whole));
            if (!data[whole..].SequenceEqual(last[..(data.Length - whole)])) return false;
        }
        return true;
    }
}

/// <summary>A small fast PRNG (xorshift64*), one per thread, seeded per workload and thread.</summary>
public struct Rng(ulong seed)
{
    private ulong _s = Pattern.Mix(seed, 0x1234) | 1;

    public ulong Next()
    {
        _s ^= _s >> 12;
        _s ^= _s << 25;
        _s ^= _s >> 27;
        return _s * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Uniform in [0, n).</summary>
    public ulong Below(ulong n) => n == 0 ? 0 : Next() % n;
}

/// <summary>The sizes, names and offsets the workloads use, as pure functions (unit-tested).</summary>
public static class WorkloadPlan
{
    /// <summary>Small files per thread: the total split evenly, the first threads take the remainder.</summary>
    public static int SmallFilesFor(int thread, int threads, int total) => total / threads + (thread < total % threads ? 1 : 0);

    /// <summary>The sizes of one thread's small files, uniform in [min, max].</summary>
    public static int[] SmallFileSizes(ulong seed, int thread, int count, int min, int max)
    {
        var rng = new Rng(seed ^ (0x5F000000UL + (ulong)thread));
        var sizes = new int[count];
        for (int i = 0; i < count; i++) sizes[i] = min + (int)rng.Below((ulong)(max - min + 1));
        return sizes;
    }

    /// <summary>A random block-aligned offset inside the first <paramref name="written"/> bytes.</summary>
    public static ulong RandomOffset(ref Rng rng, long written, int blockSize)
    {
        long blocks = written / blockSize;
        return blocks <= 0 ? 0 : rng.Below((ulong)blocks) * (ulong)blockSize;
    }

    /// <summary>The steps of one metadata cycle over n files: create all, stat all, delete all (an op is one step).</summary>
    public static IEnumerable<(string Step, int File)> MetadataCycle(int files)
    {
        for (int i = 0; i < files; i++) yield return ("create", i);
        for (int i = 0; i < files; i++) yield return ("stat", i);
        for (int i = 0; i < files; i++) yield return ("delete", i);
    }

    public static readonly string[] SmallFilePhases = ["create+write", "read", "stat", "delete"];

    public static ulong SeqFileId(int thread) => 0x5E0000000000UL + (ulong)thread;

    public static ulong SmallFileId(int thread, int index) => 0x5F0000000000UL + ((ulong)thread << 24) + (ulong)index;
}
