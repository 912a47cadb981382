namespace DittoFs.Xdr;

/// <summary>Implemented by generated code for every [XdrType] / [XdrUnion] type.</summary>
public interface IXdrCodec<TSelf> where TSelf : IXdrCodec<TSelf>
{
    static abstract TSelf Decode(ref XdrReader reader);

    void Encode(ref XdrWriter writer);
}
