using DittoFs.Server.Buffers;
using Xunit;

namespace DittoFs.Server.Tests.Buffers;

public sealed class BufferPoolTests
{
    [Theory]
    [InlineData(128 * 1024, 128 * 1024)]
    [InlineData(128 * 1024 + 1, 192 * 1024)]
    [InlineData(1024 * 1024 + 600, 1088 * 1024)] // a 1 MiB READ reply
    [InlineData(1088 * 1024, 1088 * 1024)] // the default largest record
    [InlineData(1088 * 1024 + 1, 2112 * 1024)]
    public void LargeBuffersComeInClassesThatFitAMiBAndItsHeaders(int asked, int expected)
    {
        byte[] array = BufferPool.Rent(asked);
        Assert.Equal(expected, array.Length);
        BufferPool.Return(array);
    }

    [Fact]
    public void ReturnedLargeBuffersAreReusedThenTrimmed()
    {
        // Other tests of this process use the pool too: look only at this class (576 KiB).
        byte[] a = BufferPool.Rent(500 * 1024);
        long before = BufferPool.Retained;
        BufferPool.Return(a);
        Assert.True(BufferPool.Retained >= before + a.Length);
        byte[] again = BufferPool.Rent(500 * 1024);
        Assert.Same(a, again);
        BufferPool.Return(again);

        TimeSpan trimAfter = BufferPool.TrimAfter;
        try
        {
            BufferPool.TrimAfter = TimeSpan.Zero;
            Thread.Sleep(5);
            Assert.True(BufferPool.Trim(collectAfterBytes: long.MaxValue) >= a.Length);
            Assert.NotSame(a, BufferPool.Rent(500 * 1024));
        }
        finally
        {
            BufferPool.TrimAfter = trimAfter;
        }
    }

    [Fact]
    public void NoMoreThanTheRetainedLimitIsKept()
    {
        long limit = BufferPool.RetainedLimit;
        try
        {
            BufferPool.RetainedLimit = 0;
            byte[] a = BufferPool.Rent(300 * 1024);
            BufferPool.Return(a);
            Assert.NotSame(a, BufferPool.Rent(300 * 1024));
        }
        finally
        {
            BufferPool.RetainedLimit = limit;
        }
    }
}
