using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Storage;
using DittoFs.Xdr;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>fattr4 and bitmap4 encoding and decoding without a socket.</summary>
public sealed class FAttr4Tests
{
    [Theory]
    [InlineData("1000", true, 1000u)]
    [InlineData("1000@example.com", true, 1000u)]
    [InlineData("0", true, 0u)]
    [InlineData("root", true, 0u)]
    [InlineData("nobody", true, 65534u)]
    [InlineData("alice@example.com", true, 65534u)]
    [InlineData("", false, 65534u)]
    public void OwnerStrings(string owner, bool ok, uint id)
    {
        bool parsed = FAttr4.TryParseOwner(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(owner)), 65534, out uint value);
        Assert.Equal(ok, parsed);
        if (ok) Assert.Equal(id, value);
    }

    [Fact]
    public void BitmapRoundTripsAndKeepsTrailingWordsOut()
    {
        var map = default(Bitmap4);
        map.Set(Attr.Type);
        map.Set(Attr.Owner);
        map.Set(Attr.SuppAttrExclCreat);
        var buffer = new ArrayBufferWriter<byte>();
        var w = new XdrWriter(buffer);
        map.Write(ref w);
        w.Flush();
        Assert.Equal(4 + 12, buffer.WrittenCount);
        var r = new XdrReader(buffer.WrittenMemory);
        Bitmap4 back = Bitmap4.Read(ref r);
        Assert.True(back.Has(Attr.Type) && back.Has(Attr.Owner) && back.Has(Attr.SuppAttrExclCreat));
        Assert.False(back.Has(Attr.Size));

        byte[] fourWords = [0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        var r2 = new XdrReader(fourWords);
        Bitmap4 wide = Bitmap4.Read(ref r2);
        Assert.True(wide.HasBitsBeyond);
        Assert.False(wide.IsSubsetOf(Attr.Supported));
    }

    [Fact]
    public void EncodesOnlySupportedReadableAttributesInBitOrder()
    {
        var requested = default(Bitmap4);
        foreach (int bit in new[] { Attr.Size, Attr.Type, Attr.Owner, Attr.TimeModifySet, Attr.Acl, Attr.Mode })
        {
            requested.Set(bit);
        }
        var source = new AttrSource
        {
            File = new DittoFs.Storage.FileAttributes { Type = FileType.Regular, Size = 42, Mode = 0x81A4 & 0xFFF, Uid = 1000 },
        };
        byte[] scratch = new byte[FAttr4.MaxEncoded];
        int length = FAttr4.Encode(requested, source, scratch, out Bitmap4 returned);
        Assert.True(returned.Has(Attr.Type) && returned.Has(Attr.Size) && returned.Has(Attr.Mode) && returned.Has(Attr.Owner));
        Assert.False(returned.Has(Attr.TimeModifySet)); // write-only
        Assert.False(returned.Has(Attr.Acl));           // unsupported
        var r = new XdrReader(scratch.AsMemory(0, length));
        Assert.Equal(1u, r.ReadUInt32());               // type NF4REG
        Assert.Equal(42ul, r.ReadUInt64());             // size
        Assert.Equal(0x1A4u, r.ReadUInt32());           // mode 0644
        Assert.Equal("1000", r.ReadString());           // owner
        Assert.True(r.End);
    }

    private static Nfs4Status Decode(XdrWriterBox values, int[] bits, out SetAttributes attributes)
    {
        var map = default(Bitmap4);
        foreach (int b in bits) map.Set(b);
        var box = new XdrWriterBox();
        box.UInt32((uint)map.WordCount);
        if (map.WordCount > 0) box.UInt32(map.W0);
        if (map.WordCount > 1) box.UInt32(map.W1);
        if (map.WordCount > 2) box.UInt32(map.W2);
        box.Opaque(values.Bytes);
        var r = new XdrReader(box.Bytes.ToArray());
        return FAttr4.ReadSettable(ref r, 65534, 65534, out attributes, out _);
    }

    [Fact]
    public void SettableAttributesDecodeAndRejectReadOnlyOnes()
    {
        var sizeAndMode = new XdrWriterBox();
        sizeAndMode.UInt64(7);
        sizeAndMode.UInt32(0x1ED);
        Assert.Equal(Nfs4Status.Ok, Decode(sizeAndMode, [Attr.Size, Attr.Mode], out SetAttributes a));
        Assert.Equal(7ul, a.Size);
        Assert.Equal(0x1EDu, a.Mode);

        var mtime = new XdrWriterBox();
        mtime.UInt32(1);      // SET_TO_CLIENT_TIME4
        mtime.UInt64(1000);
        mtime.UInt32(5);
        Assert.Equal(Nfs4Status.Ok, Decode(mtime, [Attr.TimeModifySet], out a));
        Assert.Equal(TimeSet.At(new Timestamp(1000, 5)), a.ModifyTime);

        var fileId = new XdrWriterBox();
        fileId.UInt64(1);
        Assert.Equal(Nfs4Status.Inval, Decode(fileId, [Attr.FileId], out _));
        Assert.Equal(Nfs4Status.AttrNotSupp, Decode(new XdrWriterBox(), [Attr.Acl], out _));
        var truncated = new XdrWriterBox();
        truncated.UInt32(1);
        Assert.Equal(Nfs4Status.BadXdr, Decode(truncated, [Attr.Size], out _));
    }
}
