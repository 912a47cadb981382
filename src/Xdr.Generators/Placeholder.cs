namespace DittoFs.Xdr.Generators { internal static class Placeholder { } }
