using System.Buffers;
using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Rpc;
using DittoFs.Xdr;

namespace DittoFs.Fuzz;

/// <summary>A finding the harness itself detects (not an exception of the code under test): broken invariant, runaway allocation.</summary>
public sealed class FuzzFindingException(string message) : Exception(message);

/// <summary>
/// One fuzz target: feeds an input to one decode path. <see cref="Run"/> throws what the code under
/// test throws; <see cref="IsExpected"/> says which of those are the documented decode failures
/// (what the server catches and turns into GARBAGE_ARGS, BADXDR or a closed connection). Anything
/// else escaping is a bug, and so is allocating more than <see cref="AllocationLimit"/> for one input.
/// </summary>
public abstract class FuzzTarget
{
    public abstract string Name { get; }

    public abstract void Run(ReadOnlySpan<byte> input);

    public virtual bool IsExpected(Exception exception) => false;

    /// <summary>The most managed bytes one input may make the target allocate (a length field believed before its bytes arrived shows here).</summary>
    public virtual long AllocationLimit(int inputLength) => 1024 * 1024 + 16L * inputLength;

    /// <summary>Runs one input as the fuzzer does: expected exceptions swallowed, anything else (and runaway allocation) thrown.</summary>
    public void RunChecked(ReadOnlySpan<byte> input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            Run(input);
        }
        catch (Exception ex) when (IsExpected(ex))
        {
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationLimit(input.Length))
        {
            throw new FuzzFindingException($"{Name}: {allocated} bytes allocated for a {input.Length}-byte input (limit {AllocationLimit(input.Length)})");
        }
    }
}

public static class Targets
{
    public static readonly string[] Names = ["record", "rpc-header", "xdr-args", "nfs4-compound", "nfs4-ops"];

    public static FuzzTarget Create(string name) => name switch
    {
        "record" => new RecordTarget(),
        "rpc-header" => new RpcHeaderTarget(),
        "xdr-args" => new XdrArgsTarget(),
        "nfs4-compound" => new Nfs4CompoundTarget(),
        "nfs4-ops" => new Nfs4OpsTarget(),
        _ => throw new ArgumentException($"unknown target '{name}' (one of {string.Join(", ", Names)})"),
    };
}

/// <summary>
/// (a) RecordAssembler: the input is the TCP byte stream, delivered in chunks whose sizes the first
/// byte picks (as a pipe would hand them over, with a leftover partial mark in a separate segment).
/// Whole records go on to the call header parser, as in RpcConnection.
/// </summary>
internal sealed class RecordTarget : FuzzTarget
{
    /// <summary>Small, so the fuzzer reaches the limit checks with small inputs.</summary>
    public const int MaxRecordSize = 4096;

    public override string Name => "record";

    public override bool IsExpected(Exception exception) => exception is RecordMarkingException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        int chunk = input[0] == 0 ? int.MaxValue : input[0];
        ReadOnlySpan<byte> stream = input[1..];
        using var assembler = new RecordAssembler(MaxRecordSize);
        byte[] pending = [];
        long delivered = 0, recorded = 0;
        while (!stream.IsEmpty)
        {
            int take = Math.Min(chunk, stream.Length);
            byte[] arrived = stream[..take].ToArray();
            stream = stream[take..];
            delivered += take;
            ReadOnlySequence<byte> buffer = pending.Length == 0
                ? new ReadOnlySequence<byte>(arrived)
                : Segments.Of(pending, arrived);
            while (assembler.TryRead(ref buffer, out byte[]? record, out int length))
            {
                if (length <= 0 || length > MaxRecordSize || length > record.Length)
                {
                    throw new FuzzFindingException($"record of {length} bytes (array {record.Length}, max {MaxRecordSize})");
                }
                recorded += length;
                if (recorded > delivered) throw new FuzzFindingException($"{recorded} record bytes out of {delivered} delivered");
                CallHeaderParser.Parse(record.AsMemory(0, length), out CallHeader header);
                if (header.ArgumentsOffset > length) throw new FuzzFindingException($"arguments at {header.ArgumentsOffset} past a {length}-byte record");
                DittoFs.Server.Buffers.BufferPool.Return(record);
            }
            if (buffer.Length > 3) throw new FuzzFindingException($"assembler left {buffer.Length} bytes unconsumed");
            pending = buffer.ToArray();
        }
    }
}

/// <summary>(b) CallHeaderParser.Parse (documented never to throw) and AuthSys.TryParse on the same bytes.</summary>
internal sealed class RpcHeaderTarget : FuzzTarget
{
    public override string Name => "rpc-header";

    public override void Run(ReadOnlySpan<byte> input)
    {
        byte[] record = input.ToArray();
        HeaderParse parse = CallHeaderParser.Parse(record, out CallHeader header);
        if (parse == HeaderParse.Call)
        {
            if (header.ArgumentsOffset < 40 || header.ArgumentsOffset > record.Length) throw new FuzzFindingException($"arguments offset {header.ArgumentsOffset} in {record.Length} bytes");
            if (header.CredentialValid && header.Caller.GroupCount is < 0 or > 16) throw new FuzzFindingException($"{header.Caller.GroupCount} groups");
        }
        if (AuthSys.TryParse(record, out var caller) && caller.GroupCount is < 0 or > 16)
        {
            throw new FuzzFindingException($"{caller.GroupCount} groups");
        }
    }
}

/// <summary>
/// (c) Every generated decoder of the NFSv3 and MOUNT argument types: the first byte picks the type, the
/// rest is the procedure's arguments. A decoded value must encode back to exactly the bytes it consumed.
/// </summary>
internal sealed class XdrArgsTarget : FuzzTarget
{
    private delegate void Decoder(ReadOnlyMemory<byte> data);

    /// <summary>The argument types by selector byte (modulo the count), named for the seed files.</summary>
    public static readonly (string Name, Type Type)[] Types =
    [
        ("GETATTR", typeof(GetAttr3Args)), ("SETATTR", typeof(SetAttr3Args)), ("LOOKUP", typeof(Lookup3Args)),
        ("ACCESS", typeof(Access3Args)), ("READLINK", typeof(ReadLink3Args)), ("READ", typeof(Read3Args)),
        ("WRITE", typeof(Write3Args)), ("CREATE", typeof(Create3Args)), ("MKDIR", typeof(MkDir3Args)),
        ("SYMLINK", typeof(Symlink3Args)), ("MKNOD", typeof(MkNod3Args)), ("REMOVE", typeof(Remove3Args)),
        ("RENAME", typeof(Rename3Args)), ("LINK", typeof(Link3Args)), ("READDIR", typeof(ReadDir3Args)),
        ("READDIRPLUS", typeof(ReadDirPlus3Args)), ("FSSTAT", typeof(FsStat3Args)), ("FSINFO", typeof(FsInfo3Args)),
        ("PATHCONF", typeof(PathConf3Args)), ("COMMIT", typeof(Commit3Args)), ("MNT", typeof(DirPathArgs)),
    ];

    private static readonly Decoder[] s_decoders =
    [
        RoundTrip<GetAttr3Args>, RoundTrip<SetAttr3Args>, RoundTrip<Lookup3Args>,
        RoundTrip<Access3Args>, RoundTrip<ReadLink3Args>, RoundTrip<Read3Args>,
        RoundTrip<Write3Args>, RoundTrip<Create3Args>, RoundTrip<MkDir3Args>,
        RoundTrip<Symlink3Args>, RoundTrip<MkNod3Args>, RoundTrip<Remove3Args>,
        RoundTrip<Rename3Args>, RoundTrip<Link3Args>, RoundTrip<ReadDir3Args>,
        RoundTrip<ReadDirPlus3Args>, RoundTrip<FsStat3Args>, RoundTrip<FsInfo3Args>,
        RoundTrip<PathConf3Args>, RoundTrip<Commit3Args>, RoundTrip<DirPathArgs>,
    ];

    public override string Name => "xdr-args";

    public override bool IsExpected(Exception exception) => exception is XdrException;

    public static int Selector(string name) => Array.FindIndex(Types, t => t.Name == name);

    public override void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        s_decoders[input[0] % s_decoders.Length](input[1..].ToArray());
    }

    private static void RoundTrip<T>(ReadOnlyMemory<byte> data) where T : IXdrCodec<T>
    {
        var reader = new XdrReader(data);
        T value = T.Decode(ref reader);
        int consumed = (int)reader.Consumed;
        var output = new ArrayBufferWriter<byte>(Math.Max(consumed, 16));
        var writer = new XdrWriter(output);
        value.Encode(ref writer);
        writer.Flush();
        if (!output.WrittenSpan.SequenceEqual(data.Span[..consumed]))
        {
            // Strings are the one lossy field: invalid UTF-8 decodes to U+FFFD. Anything else is a codec bug.
            if (typeof(T) == typeof(DirPathArgs)) return;
            throw new FuzzFindingException($"{typeof(T).Name}: re-encoding {consumed} consumed bytes gave {output.WrittenCount} different bytes");
        }
    }
}

internal static class Segments
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    public static ReadOnlySequence<byte> Of(byte[] first, byte[] second)
    {
        var head = new Segment(first, 0);
        Segment tail = head.Append(second);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }
}
