using System.Buffers.Binary;
using DittoFs.Xdr.Generators.Tests.Nfs;
using Xunit;
using static DittoFs.Xdr.Generators.Tests.XdrTest;

namespace DittoFs.Xdr.Generators.Tests;

/// <summary>
/// XDR optional-data lists (T *next) are coded in a loop: a list as long as the record allows
/// costs no stack. Each test runs on a thread with a 256 KiB stack, where one frame per node
/// (the recursive code this replaced) overflows after a few thousand nodes and kills the process.
/// </summary>
public class LinkedListTests
{
    private const int SmallStack = 256 * 1024;
    private const int Million = 1_000_000;

    [Fact]
    public void MillionNodeList_EncodesAndDecodesOnASmallStack()
    {
        Node head = BuildNodes(Million);
        byte[] bytes = OnSmallStack(() => Encode(head));
        Assert.Equal(Million * 8, bytes.Length);
        Assert.Equal(Bytes(0, 1), bytes[..8]);
        Assert.Equal(Bytes(Million - 1, 0), bytes[^8..]);

        Node back = OnSmallStack(() => Decode<Node>(bytes));
        int count = 0;
        for (Node? n = back; n is not null; n = n.Next, count++) Assert.Equal(count, n.Value);
        Assert.Equal(Million, count);
    }

    [Fact]
    public void MillionEntry3List_RoundTripsOnASmallStack()
    {
        Entry3? head = null;
        for (int i = Million - 1; i >= 0; i--) head = new Entry3 { FileId = (ulong)i, Name = "n", Cookie = (ulong)i + 3, Next = head };
        byte[] bytes = OnSmallStack(() => Encode(head!));
        Assert.Equal(Million * 28, bytes.Length); // fileid 8, name 4 + 4, cookie 8, link 4

        Entry3 back = OnSmallStack(() => Decode<Entry3>(bytes));
        int count = 0;
        for (Entry3? e = back; e is not null; e = e.Next, count++) Assert.Equal((ulong)count + 3, e.Cookie);
        Assert.Equal(Million, count);
    }

    [Fact]
    public void HostileEndlessList_IsBoundedByTheRecord()
    {
        // 4 MiB of "value, another node follows" and never a last node: the record ends first.
        byte[] bytes = new byte[4 * 1024 * 1024];
        for (int i = 0; i < bytes.Length; i += 8) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i + 4), 1);
        XdrException e = OnSmallStack(() => Assert.Throws<XdrException>(() => Decode<Node>(bytes)));
        Assert.Contains("ends early", e.Message, StringComparison.Ordinal);

        // The same record with its last link cleared is a list of exactly record/8 nodes.
        bytes[^1] = 0;
        Node back = OnSmallStack(() => Decode<Node>(bytes));
        int count = 0;
        for (Node? n = back; n is not null; n = n.Next) count++;
        Assert.Equal(bytes.Length / 8, count);
    }

    [Fact]
    public void ListOfLists_RoundTrips()
    {
        var value = new Group { Name = "a", Members = BuildNodes(2), Next = new Group { Name = "b" } };
        Group back = RoundTrip(value, Concat(Bytes(1), [(byte)'a', 0, 0, 0], Bytes(1, 0, 1, 1, 0), Bytes(1, 1), [(byte)'b', 0, 0, 0], Bytes(0, 0)));
        Assert.Equal(1, back.Members!.Next!.Value);
        Assert.Null(back.Next!.Members);
        Assert.Null(back.Next.Next);
        AssertEveryTruncationThrows<Group>(Encode(value));
        DecodeSegmented<Group>(Encode(value));
    }

    private static Node BuildNodes(int count)
    {
        Node? head = null;
        for (int i = count - 1; i >= 0; i--) head = new Node { Value = i, Next = head };
        return head!;
    }

    private static T OnSmallStack<T>(Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { result = work(); }
            catch (Exception e) { failure = e; }
        }, SmallStack);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "the list did not finish in 2 minutes");
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }
}
