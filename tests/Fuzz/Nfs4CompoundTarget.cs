using System.Buffers.Binary;
using DittoFs.Server.Protocol.Nfs4;

namespace DittoFs.Fuzz;

/// <summary>
/// (d) NFSv4.1 COMPOUND. The server decodes each operation's arguments as it runs it (Ops/*.cs read from
/// Compound.Reader), so the target runs the real program on the in-memory stores. The first byte picks
/// the mode:
/// <list type="bullet">
/// <item>even: in session. The rest is <c>uint32 count | nfs_argop4...</c>; the harness puts a valid
/// SEQUENCE for its session in front, so the fuzzer reaches every operation's decoder.</item>
/// <item>odd: raw. The rest is the whole COMPOUND4args (tag, minor version, ops): the COMPOUND header,
/// EXCHANGE_ID, CREATE_SESSION and the other session-less operations.</item>
/// </list>
/// File handles carry the store's boot generation, which differs from run to run: the harness writes
/// this run's generation into every handle-looking 20 bytes ("Df" 1 0 ...) so saved inputs stay valid.
/// Nothing may escape the program: it answers BADXDR (or GARBAGE_ARGS) to what it cannot read.
/// Every input gets a fresh server and session: one process kept for a whole AFL session (100k+ inputs)
/// used to pile up clients, sessions, opens and files until, after ~120 s, one input ran past AFL's
/// timeout and AFL's kill of it took the harness (SharpFuzz's fork server is the same process) down with it.
/// A fresh server also makes a saved input replay exactly as it ran.
/// </summary>
internal sealed class Nfs4CompoundTarget : FuzzTarget
{
    public override string Name => "nfs4-compound";

    /// <summary>Runs real operations (the in-memory store keeps written data): a wider bound, still far below what a lying length would cost.</summary>
    public override long AllocationLimit(int inputLength) => 32L * 1024 * 1024 + 64L * inputLength;

    private static readonly bool Verbose = Environment.GetEnvironmentVariable("DITTOFS_FUZZ_VERBOSE") == "1";

    /// <summary>Prints the COMPOUND status and result count (DITTOFS_FUZZ_VERBOSE=1, for checking seeds).</summary>
    private static void Describe(byte[] reply)
    {
        var r = new ReplyReader(reply);
        bool ok = r.CompoundOk(out uint status);
        Console.WriteLine($"  COMPOUND status {status} ({(ok ? "ok" : "failed")}), {reply.Length} reply bytes");
    }

    private static void FixHandles(Span<byte> bytes, ReadOnlySpan<byte> generation)
    {
        for (int i = bytes.IndexOf("Df\u0001\0"u8); i >= 0 && i + 20 <= bytes.Length;)
        {
            generation.CopyTo(bytes[(i + 16)..]);
            int next = bytes[(i + 20)..].IndexOf("Df\u0001\0"u8);
            i = next < 0 ? -1 : i + 20 + next;
        }
    }

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        using var host = new Nfs4Host();
        byte[] copy = input[1..].ToArray();
        FixHandles(copy, host.ExportRootHandle.AsSpan(16, 4));
        ReadOnlySpan<byte> body = copy;
        if ((input[0] & 1) == 1)
        {
            byte[] rawReply = host.Run(host.Call(body));
            if (Verbose) Describe(rawReply);
            return;
        }
        uint count = body.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(body) : 0;
        ReadOnlySpan<byte> ops = body.Length >= 4 ? body[4..] : [];
        byte[] sequenced = ops.ToArray();
        uint seq = host.SlotSeq + 1;
        byte[] reply = host.Run(host.Compound(count == uint.MaxValue ? count : count + 1, b =>
        {
            Nfs4Args.Sequence(b, host.SessionId, seq);
            b.Raw(sequenced);
        }));
        if (Verbose) Describe(reply);
        var r = new ReplyReader(reply);
        r.CompoundOk(out _);
        // The SEQUENCE result decides whether the session is still ours (the input may have destroyed it).
        if (r.Has(8) && r.UInt32() == (uint)Nfs4Op.Sequence && r.UInt32() == 0) host.SlotSeq = seq;
        else host.Establish();
    }
}
