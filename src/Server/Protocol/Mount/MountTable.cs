namespace DittoFs.Server.Protocol.Mount;

/// <summary>
/// Who mounted what, for DUMP: advisory (as in every implementation), so it is bounded rather
/// than exact. One entry per (client address, canonical path): "/export//m/" and "/export/m"
/// are one mount, so a client cannot grow the table by respelling a path. At most
/// <see cref="MaxEntries"/> entries; a new one beyond that evicts the oldest. UMNT and UMNTALL remove.
/// </summary>
internal sealed class MountTable
{
    /// <summary>Entries kept (README, Guarantees). A DUMP reply lists the newest that fit <see cref="DumpReplyBudget"/>.</summary>
    public const int MaxEntries = 1024;

    /// <summary>Bytes of mountbody entries in one DUMP reply, far below the smallest record size.</summary>
    public const int DumpReplyBudget = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Host, string Path), LinkedListNode<(string Host, string Path)>> _index = new();
    private readonly LinkedList<(string Host, string Path)> _byAge = new(); // oldest first

    public int Count
    {
        get { lock (_lock) return _index.Count; }
    }

    /// <summary>"/export//m/" → "/export/m": the spelling-independent form of a mount path.</summary>
    public static string Canonical(string path)
    {
        string[] parts = path.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries);
        return "/" + string.Join('/', parts);
    }

    /// <summary>Records a mount, or marks an existing one as the newest.</summary>
    public void Add(string host, string path)
    {
        var key = (host, Canonical(path));
        lock (_lock)
        {
            if (_index.Remove(key, out var existing)) _byAge.Remove(existing);
            while (_index.Count >= MaxEntries)
            {
                _index.Remove(_byAge.First!.Value);
                _byAge.RemoveFirst();
            }
            _index[key] = _byAge.AddLast(key);
        }
    }

    public void Remove(string host, string path)
    {
        lock (_lock)
        {
            if (_index.Remove((host, Canonical(path)), out var node)) _byAge.Remove(node);
        }
    }

    public void RemoveAll(string host)
    {
        lock (_lock)
        {
            for (var node = _byAge.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Host == host)
                {
                    _index.Remove(node.Value);
                    _byAge.Remove(node);
                }
                node = next;
            }
        }
    }

    /// <summary>The newest entries whose mountbody encodings fit <see cref="DumpReplyBudget"/>, as the DUMP list.</summary>
    public MountBody? Dump()
    {
        MountBody? head = null;
        int used = 0;
        lock (_lock)
        {
            // Built from the oldest that fit up to the newest, so the newest comes first on the wire.
            var fitting = new List<(string Host, string Path)>();
            for (var node = _byAge.Last; node is not null; node = node.Previous)
            {
                used += BodySize(node.Value.Host, node.Value.Path);
                if (used > DumpReplyBudget) break;
                fitting.Add(node.Value);
            }
            for (int i = fitting.Count - 1; i >= 0; i--) head = new MountBody { Hostname = fitting[i].Host, Directory = fitting[i].Path, Next = head };
        }
        return head;
    }

    // value_follows, then two XDR strings (length word, bytes padded to 4).
    private static int BodySize(string host, string path) =>
        4 + 4 + Padded(System.Text.Encoding.UTF8.GetByteCount(host)) + 4 + Padded(System.Text.Encoding.UTF8.GetByteCount(path));

    private static int Padded(int length) => (length + 3) & ~3;
}
