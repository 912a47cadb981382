using System.ComponentModel.DataAnnotations;

namespace DittoFs.Server.Options;

/// <summary>NLM v4 + NSM: byte-range locks for NFSv3 clients (DittoFs:Nlm:*).</summary>
public sealed class NlmOptions
{
    /// <summary>Serve NLM (100021) and NSM (100024) and register them in the portmapper.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The port of a client host's portmapper, where its lockd (NLM_GRANTED of a blocked lock) and its
    /// statd (SM_NOTIFY after our restart) are looked up: 111 everywhere but in tests.
    /// </summary>
    [Range(1, 65535)]
    public int ClientPortmapPort { get; set; } = 111;

    /// <summary>The name this server gives in SM_NOTIFY (mon_name); empty: the machine's host name.</summary>
    public string HostName { get; set; } = "";
}
