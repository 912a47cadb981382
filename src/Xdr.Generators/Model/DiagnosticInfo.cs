using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DittoFs.Xdr.Generators.Model
{
    /// <summary>
    /// Where a diagnostic goes, as plain data: a Location would pin the whole
    /// compilation and never compare equal across runs.
    /// </summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationInfo? From(Location? location)
        {
            if (location is null || location.SourceTree is null) return null;
            return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
        }
    }

    /// <summary>A diagnostic to report: descriptor id, location and message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Diagnostics.ById(Id), Location?.ToLocation(), MessageArgs());

        private object[] MessageArgs()
        {
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
            return args;
        }
    }
}
