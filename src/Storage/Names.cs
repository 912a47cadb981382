namespace DittoFs.Storage;

/// <summary>Validation of directory entry names (raw bytes, never re-encoded).</summary>
internal static class Names
{
    /// <summary>Checks a name that is to be created, removed or renamed: "." and ".." are not real entries here.</summary>
    public static FsStatus ValidateEntry(ReadOnlySpan<byte> name)
    {
        FsStatus status = ValidateComponent(name);
        if (status != FsStatus.Ok) return status;
        return IsDot(name) || IsDotDot(name) ? FsStatus.Invalid : FsStatus.Ok;
    }

    /// <summary>Checks a lookup name ("." and ".." allowed; the caller resolves them).</summary>
    public static FsStatus ValidateComponent(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0) return FsStatus.Invalid;
        if (name.Length > FsLimits.MaxNameLength) return FsStatus.NameTooLong;
        return name.IndexOfAny((byte)'/', (byte)0) >= 0 ? FsStatus.Invalid : FsStatus.Ok;
    }

    public static bool IsDot(ReadOnlySpan<byte> name) => name.Length == 1 && name[0] == (byte)'.';

    public static bool IsDotDot(ReadOnlySpan<byte> name) => name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.';
}
