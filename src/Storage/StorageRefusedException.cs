namespace DittoFs.Storage;

/// <summary>
/// The stores refuse to open as configured, for a reason an operator must act on (metadata of
/// another filesystem, a bucket holding objects nobody's metadata knows). The message is one line
/// that says what and how to fix it; the server prints it and exits instead of serving.
/// </summary>
public sealed class StorageRefusedException(string message) : Exception(message);
