namespace DittoFs.Storage; internal static class Placeholder { }
