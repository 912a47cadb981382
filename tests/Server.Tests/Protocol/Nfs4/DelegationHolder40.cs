using DittoFs.Server.Protocol.Nfs4;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>What a 4.0 OPEN (no create) answered, with its delegation: type 0 (none), 1 (read) or 2 (write).</summary>
public sealed record DelegatedOpen40(Nfs4Status Status, byte[] Stateid, uint DelegationType, byte[] DelegationStateid, byte[] Handle);

/// <summary>
/// The holder side of a 4.0 delegation test (RFC 7530 §10.2): a confirmed client whose SETCLIENTID named a callback,
/// and a file it made and opened for reading. <see cref="Delegated"/> brings its own <see cref="CallbackListener40"/>,
/// checks the server's CB_NULL probe there, and opens the file again until the read delegation comes.
/// </summary>
public sealed class DelegationHolder40 : IDisposable
{
    public const uint Read = 1, Write = 2, CallbackProgram = 0x40000000, Ident = 77;

    private readonly CallbackListener40? _listener;

    private DelegationHolder40(int port, string callback, CallbackListener40? listener)
    {
        _listener = listener;
        Client = new Nfs4TestClient(port);
        Client.Establish40(ClientOwner, callback: callback, ident: Ident);
        Client.OpenConfirmed40(Owner, Name, access: Read);
    }

    public Nfs4TestClient Client { get; }

    /// <summary>The SETCLIENTID owner (a callback update names it again).</summary>
    public string ClientOwner { get; } = Unique("v40-");

    /// <summary>The open owner of the holder's opens.</summary>
    public string Owner { get; } = Unique("oo-");

    /// <summary>The file the holder made in the export.</summary>
    public string Name { get; } = Unique("f-");

    /// <summary>The listener of a <see cref="Delegated"/> holder.</summary>
    public CallbackListener40 Listener => _listener ?? throw new InvalidOperationException("a holder made with At has no listener of its own");

    /// <summary>The OPEN that brought the read delegation (<see cref="Delegated"/> only).</summary>
    public DelegatedOpen40 Delegation { get; private set; } = new(Nfs4Status.Ok, [], 0, [], []);

    public static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A holder whose callback is <paramref name="callback"/> (a listener the test owns, or nothing at all).</summary>
    public static DelegationHolder40 At(int port, string callback) => new(port, callback, null);

    /// <summary>A holder with a listener of its own (answering CB_COMPOUNDs or not) that got the probe, holding a read delegation.</summary>
    public static DelegationHolder40 Delegated(int port, bool answerCompounds = true)
    {
        var listener = new CallbackListener40 { AnswerCompounds = answerCompounds };
        DelegationHolder40? holder = null;
        try
        {
            holder = new DelegationHolder40(port, listener.UniversalAddress, listener);
            AssertProbe(listener);
            holder.Delegation = OpenUntilDelegated(holder.Client, holder.Owner, holder.Name);
            Assert.Equal(1u, holder.Delegation.DelegationType);
            return holder;
        }
        catch
        {
            if (holder is null) listener.Dispose();
            else holder.Dispose();
            throw;
        }
    }

    /// <summary>Another confirmed 4.0 client, with no callback: the one whose open or remove conflicts.</summary>
    public static Nfs4TestClient Other(int port)
    {
        var client = new Nfs4TestClient(port);
        client.Establish40(Unique("v40-"));
        return client;
    }

    public Nfs4Status Renew() => Client.Renew(Client.ClientId);

    /// <summary>DELEGRETURN of the holder's delegation.</summary>
    public Nfs4Status ReturnDelegation() => DelegReturn(Client, Delegation.Handle, Delegation.DelegationStateid);

    public static Nfs4Status DelegReturn(Nfs4TestClient client, byte[] handle, byte[] stateid) => client.Compound40(2, b =>
    {
        Nfs4TestClient.PutFh(b, handle);
        b.UInt32((uint)Nfs4Op.DelegReturn);
        b.Raw(stateid);
    }).Status;

    /// <summary>The server's CB_NULL probe of a callback address (RFC 7530 §16.34.5), the next call the listener got.</summary>
    public static void AssertProbe(CallbackListener40 listener)
    {
        ReceivedCallback probe = listener.Next();
        Assert.Equal((CallbackProgram, 1u, 0u), (probe.Program, probe.Version, probe.Procedure));
    }

    /// <summary>A 4.0 OPEN (no create) of the owner's next seqid, with the delegation part of the result decoded.</summary>
    public static DelegatedOpen40 Open(Nfs4TestClient client, string owner, string name, uint access)
    {
        CompoundReply reply = client.Open40(owner, name, access, create: false);
        if (reply.Status != Nfs4Status.Ok) return new DelegatedOpen40(reply.Status, [], 0, [], []);
        reply.Next();
        reply.Next();
        Assert.Equal(((uint)Nfs4Op.Open, Nfs4Status.Ok), reply.Next());
        byte[] stateid = reply.Reader.Raw(16);
        reply.Reader.Raw(4 + 8 + 8 + 4);          // change_info4, rflags
        reply.Reader.Raw((int)reply.Reader.UInt32() * 4);
        uint type = reply.Reader.UInt32();
        byte[] delegation = [];
        if (type is 1 or 2)
        {
            delegation = reply.Reader.Raw(16);
            Assert.False(reply.Reader.Bool());    // recall
            if (type == 2) reply.Reader.Raw(12);  // nfs_space_limit4
            reply.Reader.Raw(12);                 // nfsace4 type, flag, mask
            _ = reply.Reader.Opaque();            // who
        }
        else
        {
            Assert.Equal(0u, type);               // OPEN_DELEGATE_NONE: 4.0 has no NONE_EXT
        }
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return new DelegatedOpen40(Nfs4Status.Ok, stateid, type, delegation, reply.Reader.Opaque());
    }

    /// <summary>The holder's OPEN for reading again: a delegation, or none (type 0).</summary>
    public DelegatedOpen40 OpenAgain() => Open(Client, Owner, Name, Read);

    /// <summary>OPEN for reading again until the delegation comes (the probe's answer is handled after the confirm's reply).</summary>
    private static DelegatedOpen40 OpenUntilDelegated(Nfs4TestClient client, string owner, string name)
    {
        for (int i = 0; ; i++)
        {
            DelegatedOpen40 opened = Open(client, owner, name, Read);
            Assert.Equal(Nfs4Status.Ok, opened.Status);
            if (opened.DelegationType != 0 || i == 50) return opened;
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        _listener?.Dispose();
    }
}
