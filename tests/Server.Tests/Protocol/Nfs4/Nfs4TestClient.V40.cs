using System.Text;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Tests.Infrastructure;
using Xunit;

namespace DittoFs.Server.Tests.Protocol.Nfs4;

/// <summary>What an NFSv4.0 OPEN answered: stateid, result flags (OPEN4_RESULT_CONFIRM) and the opened file's handle.</summary>
public sealed record Opened40(byte[] Stateid, uint Flags, byte[] Handle);

/// <summary>
/// NFSv4.0 (RFC 7530) for the raw client: COMPOUNDs with minorversion 0 (no SEQUENCE), the client id of
/// SETCLIENTID / SETCLIENTID_CONFIRM, and the seqid of each open and lock owner, moved on as a 4.0 client
/// does: after every reply but the few §9.1.7 lists.
/// </summary>
public sealed partial class Nfs4TestClient
{
    /// <summary>The next seqid of each 4.0 open or lock owner this client used.</summary>
    public Dictionary<string, uint> OwnerSeqids { get; } = new(StringComparer.Ordinal);

    /// <summary>The setclientid_confirm verifier of the last SETCLIENTID.</summary>
    public ulong ConfirmVerifier { get; private set; }

    /// <summary>A minorversion 0 COMPOUND.</summary>
    public CompoundReply Compound40(int opCount, Action<XdrWriterBox> ops) => Compound(opCount, ops, minor: 0);

    /// <summary>SETCLIENTID4args; the callback at <paramref name="callback"/> (a tcp universal address; port 0 by default: never called).</summary>
    public static void SetClientIdArgs(XdrWriterBox b, string owner, ulong verifier = 1, uint callbackProgram = 0x40000000,
        string callback = "127.0.0.1.0.0", uint ident = 1, string netid = "tcp")
    {
        b.UInt32((uint)Nfs4Op.SetClientId);
        b.Write(new SetClientId4Args
        {
            Client = new ClientOwner4 { Verifier = verifier, OwnerId = Encoding.UTF8.GetBytes(owner) },
            Callback = new CbClient4 { Program = callbackProgram, Location = new NetAddr4 { Netid = Encoding.ASCII.GetBytes(netid), Addr = Encoding.ASCII.GetBytes(callback) } },
            CallbackIdent = ident,
        });
    }

    /// <summary>SETCLIENTID alone: its status; on OK <see cref="ClientId"/> and <see cref="ConfirmVerifier"/> are set.</summary>
    public Nfs4Status SetClientId(string owner, ulong verifier = 1, string callback = "127.0.0.1.0.0", uint ident = 1)
    {
        CompoundReply reply = Compound40(1, b => SetClientIdArgs(b, owner, verifier, callback: callback, ident: ident));
        (uint op, Nfs4Status status) = reply.Next();
        Assert.Equal((uint)Nfs4Op.SetClientId, op);
        if (status == Nfs4Status.Ok)
        {
            SetClientId4ResOk ok = reply.Reader.Decode<SetClientId4ResOk>();
            ClientId = ok.ClientId;
            ConfirmVerifier = ok.Confirm;
        }
        return status;
    }

    public Nfs4Status SetClientIdConfirm(ulong clientId, ulong confirm) => Compound40(1, b =>
    {
        b.UInt32((uint)Nfs4Op.SetClientIdConfirm);
        b.Write(new SetClientIdConfirm4Args { ClientId = clientId, Confirm = confirm });
    }).Status;

    /// <summary>SETCLIENTID then SETCLIENTID_CONFIRM: a confirmed 4.0 client.</summary>
    public void Establish40(string owner, ulong verifier = 1, string callback = "127.0.0.1.0.0", uint ident = 1)
    {
        Assert.Equal(Nfs4Status.Ok, SetClientId(owner, verifier, callback, ident));
        Assert.Equal(Nfs4Status.Ok, SetClientIdConfirm(ClientId, ConfirmVerifier));
    }

    public Nfs4Status Renew(ulong clientId) => Compound40(1, b =>
    {
        b.UInt32((uint)Nfs4Op.Renew);
        b.Write(new Renew4Args { ClientId = clientId });
    }).Status;

    /// <summary>The seqid the owner's next request carries (0 for a new owner), counted as used.</summary>
    public uint NextSeqid(string owner)
    {
        uint seqid = OwnerSeqids.GetValueOrDefault(owner);
        OwnerSeqids[owner] = seqid + 1;
        return seqid;
    }

    /// <summary>OPEN4args of a 4.0 open owner (CLAIM_NULL; UNCHECKED4 create with no attributes when <paramref name="create"/>).</summary>
    public void Open40Args(XdrWriterBox b, uint seqid, string owner, string name, uint access = 3, bool create = true, uint deny = 0)
    {
        b.UInt32((uint)Nfs4Op.Open);
        b.Write(new Open4Args
        {
            Seqid = seqid,
            ShareAccess = access,
            ShareDeny = deny,
            Owner = new StateOwner4 { ClientId = ClientId, Owner = Encoding.UTF8.GetBytes(owner) },
            OpenHow = create
                ? new OpenFlag4 { OpenType = Nfs4Const.OpenCreate, How = new CreateHow4 { Mode = Nfs4Const.Unchecked4, CreateAttrs = default } }
                : new OpenFlag4 { OpenType = Nfs4Const.OpenNoCreate },
            Claim = new OpenClaim4 { Claim = Nfs4Const.ClaimNull, File = Encoding.UTF8.GetBytes(name) },
        });
    }

    /// <summary>PUTROOTFH, LOOKUP export, OPEN, GETFH as a 4.0 client sends it, with the owner's next seqid (or <paramref name="seqid"/>).</summary>
    public CompoundReply Open40(string owner, string name, uint access = 3, bool create = true, uint? seqid = null, uint deny = 0)
    {
        uint s = seqid ?? NextSeqid(owner);
        return Compound40(4, b =>
        {
            Op(b, Nfs4Op.PutRootFh);
            Lookup(b, "export");
            Open40Args(b, s, owner, name, access, create, deny);
            Op(b, Nfs4Op.GetFh);
        });
    }

    /// <summary>The result of <see cref="Open40"/> that succeeded.</summary>
    public static Opened40 ReadOpen40(CompoundReply reply)
    {
        Assert.Equal(Nfs4Status.Ok, reply.Status);
        reply.Next();
        reply.Next();
        Assert.Equal(((uint)Nfs4Op.Open, Nfs4Status.Ok), reply.Next());
        byte[] stateid = reply.Reader.Raw(16);
        reply.Reader.Raw(4 + 8 + 8); // change_info4
        uint flags = reply.Reader.UInt32();
        uint words = reply.Reader.UInt32();
        reply.Reader.Raw((int)words * 4);
        Assert.Equal(0u, reply.Reader.UInt32()); // OPEN_DELEGATE_NONE: no delegations for 4.0 clients
        Assert.Equal(((uint)Nfs4Op.GetFh, Nfs4Status.Ok), reply.Next());
        return new Opened40(stateid, flags, reply.Reader.Opaque());
    }

    /// <summary>PUTFH + an op on an open stateid with the owner's seqid: OPEN_CONFIRM, CLOSE (RFC 7530 §16.18, §16.2).</summary>
    public CompoundReply OnOpen40(Nfs4Op op, byte[] handle, byte[] stateid, uint seqid) => Compound40(2, b =>
    {
        PutFh(b, handle);
        b.UInt32((uint)op);
        if (op == Nfs4Op.OpenConfirm)
        {
            b.Raw(stateid);
            b.UInt32(seqid);
        }
        else
        {
            b.UInt32(seqid);
            b.Raw(stateid);
        }
    });

    /// <summary>OPEN then OPEN_CONFIRM: a confirmed open of a new owner; returns the confirmed stateid and handle.</summary>
    public Opened40 OpenConfirmed40(string owner, string name, uint access = 3, bool create = true)
    {
        Opened40 opened = ReadOpen40(Open40(owner, name, access, create));
        if ((opened.Flags & Nfs4Const.OpenResultConfirm) == 0) return opened;
        CompoundReply confirm = OnOpen40(Nfs4Op.OpenConfirm, opened.Handle, opened.Stateid, NextSeqid(owner));
        Assert.Equal(Nfs4Status.Ok, confirm.Status);
        confirm.Next();
        Assert.Equal(((uint)Nfs4Op.OpenConfirm, Nfs4Status.Ok), confirm.Next());
        return opened with { Stateid = confirm.Reader.Raw(16) };
    }

    /// <summary>
    /// PUTFH + LOCK (whole file) of a 4.0 client: a new lock owner with its open stateid and the open owner's seqid,
    /// or (<paramref name="openOwner"/> null) an existing lock owner with its lock stateid and seqid.
    /// </summary>
    public CompoundReply Lock40(byte[] handle, byte[] stateid, string lockOwner, string? openOwner, bool write = true, uint? seqid = null) => Compound40(2, b =>
    {
        PutFh(b, handle);
        b.UInt32((uint)Nfs4Op.Lock);
        b.UInt32(write ? Nfs4Const.WriteLt : Nfs4Const.ReadLt);
        b.UInt32(0);
        b.UInt64(0);
        b.UInt64(ulong.MaxValue);
        b.UInt32(openOwner is not null ? 1u : 0u);
        if (openOwner is not null)
        {
            b.UInt32(seqid ?? NextSeqid(openOwner));
            b.Raw(stateid);
            b.UInt32(NextSeqid(lockOwner));
            b.UInt64(ClientId);
            b.Opaque(Encoding.UTF8.GetBytes(lockOwner));
        }
        else
        {
            b.Raw(stateid);
            b.UInt32(seqid ?? NextSeqid(lockOwner));
        }
    });

    /// <summary>PUTFH + LOCKU (whole file) by a lock owner's stateid and seqid.</summary>
    public CompoundReply LockU40(byte[] handle, byte[] lockStateid, uint seqid) => Compound40(2, b =>
    {
        PutFh(b, handle);
        b.UInt32((uint)Nfs4Op.LockU);
        b.UInt32(Nfs4Const.WriteLt);
        b.UInt32(seqid);
        b.Raw(lockStateid);
        b.UInt64(0);
        b.UInt64(ulong.MaxValue);
    });

    public Nfs4Status ReleaseLockOwner(string lockOwner) => Compound40(1, b =>
    {
        b.UInt32((uint)Nfs4Op.ReleaseLockOwner);
        b.Write(new ReleaseLockOwner4Args { LockOwner = new StateOwner4 { ClientId = ClientId, Owner = Encoding.UTF8.GetBytes(lockOwner) } });
    }).Status;
}
