using DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Fuzz;

/// <summary>
/// (e) NFSv4.1 operation sequences. The fuzzer's bytes choose a sequence of well-formed COMPOUNDs, each a
/// SEQUENCE (valid, replayed, misordered, on another slot, or left out) and up to 12 operations of
/// <see cref="Nfs4OpsGrammar"/> with arguments drawn from pools of the values that matter to the state
/// machine: stateids (current, anonymous, bypass, ones the server handed out earlier in the input, mutated
/// ones), names, offsets and lengths at the boundaries, bitmaps and attribute values. Encoded properly,
/// they get past the decoder to opens, locks, share reservations, seqids and sessions.
/// <code>
///   input = n | op[n] | argument bytes...
///   op    = selector (a <see cref="Nfs4OpsGrammar.Ops"/> index, modulo its length), 0xFF = next COMPOUND
/// </code>
/// The arguments are read in order from the rest of the input, 0 once it runs out: every choice's 0 is the
/// common case (name "f0", the current stateid, offset 0, 4 KiB...), so a seed is just its operation list.
/// Every input starts from a fresh server (<see cref="Nfs4Host"/>): nothing carries over from one input to
/// the next, so what AFL saves replays the same in-process, and state cannot pile up over a long run.
/// The program is driven only through its RPC entry point.
/// </summary>
internal sealed class Nfs4OpsTarget : FuzzTarget
{
    public const byte NextCompound = 0xFF;

    /// <summary>At most this many COMPOUNDs and operations per COMPOUND, so an input stays a few milliseconds.</summary>
    public const int MaxCompounds = 8, MaxOps = 12;

    public override string Name => "nfs4-ops";

    public override long AllocationLimit(int inputLength) => 32L * 1024 * 1024 + 64L * inputLength;

    private static readonly bool Verbose = Environment.GetEnvironmentVariable("DITTOFS_FUZZ_VERBOSE") == "1";

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        int n = Math.Min(input[0], input.Length - 1);
        ReadOnlySpan<byte> ops = input.Slice(1, n);
        var args = new Choices(input[(1 + n)..].ToArray());
        using var host = new Nfs4Host();
        var session = new Nfs4OpsGrammar(host, args);
        int compounds = 0;
        while (!ops.IsEmpty && compounds++ < MaxCompounds)
        {
            int end = ops.IndexOf(NextCompound);
            ReadOnlySpan<byte> these = end < 0 ? ops : ops[..end];
            ops = end < 0 ? [] : ops[(end + 1)..];
            if (these.Length > MaxOps) these = these[..MaxOps];
            CompoundOutcome outcome = session.RunCompound(these);
            if (Verbose) Console.WriteLine("  " + outcome.Summary);
        }
    }
}

/// <summary>The argument bytes: read in order, 0 once they run out.</summary>
internal sealed class Choices(byte[] bytes)
{
    private int _at;

    public byte Next() => _at < bytes.Length ? bytes[_at++] : (byte)0;

    public int Pick(int n) => Next() % n;

    public T Pick<T>(T[] values) => values[Next() % values.Length];

    public uint UInt32() => (uint)Next() << 24 | (uint)Next() << 16 | (uint)Next() << 8 | Next();

    public ulong UInt64() => (ulong)UInt32() << 32 | UInt32();

    public byte[] Bytes(int n)
    {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = Next();
        return b;
    }
}
