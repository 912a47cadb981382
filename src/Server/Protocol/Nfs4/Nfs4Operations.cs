using DittoFs.Server.Metrics;

namespace DittoFs.Server.Protocol.Nfs4;

/// <summary>What COMPOUND checks before an operation runs (knfsd's <c>op_flags</c>, ganesha's <c>nfs4_op_desc</c>).</summary>
[Flags]
internal enum Nfs4Flags : byte
{
    None = 0,
    /// <summary>Needs a current filehandle: NFS4ERR_NOFILEHANDLE without one.</summary>
    NeedsCurrentFh = 1,
    /// <summary>Needs a saved filehandle too (LINK, RENAME): NFS4ERR_NOFILEHANDLE without one.</summary>
    NeedsSavedFh = 2,
    /// <summary>Changes the filesystem under the current filehandle: NFS4ERR_ROFS in the pseudo-fs or a read-only export.</summary>
    Modifies = 4,
    /// <summary>SEQUENCE: first and only first (NFS4ERR_SEQUENCE_POS elsewhere).</summary>
    SequenceOnly = 8,
    /// <summary>May come without SEQUENCE, but then alone (NFS4ERR_NOT_ONLY_OP) — RFC 8881 §2.6.3.1.1.8.</summary>
    AllowedWithoutSession = 16,
    /// <summary>NFSv4.0 only (RFC 7530): NOTSUPP in 4.1, which replaced it with sessions (RFC 8881 §18.20, §18.29, §18.33-34, §18.37).</summary>
    Minor0Only = 32,
}

/// <summary>Runs one operation of a COMPOUND; its arguments are read from <see cref="Compound.Reader"/>.</summary>
internal delegate ValueTask<Nfs4Status> Nfs4Handler(Nfs4Program program, Compound c);

/// <summary>
/// One NFSv4.1/4.2 operation: number, RFC 8881 / 7862 / 8276 name, flags, handler; for an operation whose
/// result is a struct rather than a union (SETATTR4res), what to write after a status
/// the checks produced. The metric tag is made once here.
/// </summary>
internal sealed class Nfs4Operation(Nfs4Op op, string name, Nfs4Flags flags, Nfs4Handler handler, Action<Compound, Nfs4Status>? failed = null)
{
    public readonly Nfs4Op Op = op;
    public readonly string Name = name;
    public readonly Nfs4Flags Flags = flags;
    public readonly Nfs4Handler Handler = handler;
    public readonly Action<Compound, Nfs4Status>? Failed = failed;
    public readonly KeyValuePair<string, object?> OpTag = NfsMetrics.OpTag(name);

    public bool Has(Nfs4Flags flag) => (Flags & flag) != 0;
}

internal sealed partial class Nfs4Program
{
    private const Nfs4Flags Fh = Nfs4Flags.NeedsCurrentFh;
    private const Nfs4Flags Change = Nfs4Flags.NeedsCurrentFh | Nfs4Flags.Modifies;
    private const Nfs4Flags Alone = Nfs4Flags.AllowedWithoutSession;
    private const Nfs4Flags V40 = Nfs4Flags.Minor0Only;

    /// <summary>The first operation RFC 7530 does not define (BACKCHANNEL_CTL): it and those after are OP_ILLEGAL in a 4.0 compound.</summary>
    private const uint FirstMinor1Op = (uint)Nfs4Op.BackchannelCtl;

    /// <summary>OP_ILLEGAL (10044): any number outside the table, so metrics never see a client's number.</summary>
    private static readonly Nfs4Operation s_illegal = new(Nfs4Op.Illegal, "ILLEGAL", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.OpIllegal));

    /// <summary>
    /// The operation table, indexed by operation number (0-2 are not operations): dispatch,
    /// the position and filehandle checks, read-only exports and metrics all read it.
    /// Adding an operation = one handler in Ops/ + one row.
    /// </summary>
    private static readonly Nfs4Operation?[] s_operations =
    [
        null, null, null,
        new(Nfs4Op.Access, "ACCESS", Fh, static (p, c) => p.AccessAsync(c)),                            // 3
        new(Nfs4Op.Close, "CLOSE", Fh, static (p, c) => Done(p.Close(c))),                               // 4
        new(Nfs4Op.Commit, "COMMIT", Fh, static (p, c) => p.CommitAsync(c)),                             // 5
        new(Nfs4Op.Create, "CREATE", Change, static (p, c) => p.CreateAsync(c)),                         // 6
        new(Nfs4Op.DelegPurge, "DELEGPURGE", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 7
        new(Nfs4Op.DelegReturn, "DELEGRETURN", Fh, static (p, c) => Done(p.DelegReturn(c))),             // 8
        new(Nfs4Op.GetAttr, "GETATTR", Fh, static (p, c) => p.GetAttrAsync(c)),                          // 9
        new(Nfs4Op.GetFh, "GETFH", Fh, static (p, c) => Done(p.GetFh(c))),                               // 10
        new(Nfs4Op.Link, "LINK", Change | Nfs4Flags.NeedsSavedFh, static (p, c) => p.LinkAsync(c)),      // 11
        new(Nfs4Op.Lock, "LOCK", Fh, static (p, c) => p.LockAsync(c)),                                   // 12
        new(Nfs4Op.LockT, "LOCKT", Fh, static (p, c) => p.LockTAsync(c)),                                // 13
        new(Nfs4Op.LockU, "LOCKU", Fh, static (p, c) => p.LockUAsync(c)),                                // 14
        new(Nfs4Op.Lookup, "LOOKUP", Fh, static (p, c) => p.LookupAsync(c)),                             // 15
        new(Nfs4Op.LookupP, "LOOKUPP", Fh, static (p, c) => p.LookupPAsync(c)),                          // 16
        new(Nfs4Op.NVerify, "NVERIFY", Fh, static (p, c) => p.VerifyAsync(c, negate: true)),             // 17
        new(Nfs4Op.Open, "OPEN", Fh, static (p, c) => p.OpenAsync(c)),                                   // 18 (ROFS decided inside: only a create or a write share)
        new(Nfs4Op.OpenAttr, "OPENATTR", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)),     // 19
        new(Nfs4Op.OpenConfirm, "OPEN_CONFIRM", V40 | Fh, static (p, c) => Done(p.OpenConfirm(c))),      // 20
        new(Nfs4Op.OpenDowngrade, "OPEN_DOWNGRADE", Fh, static (p, c) => Done(p.OpenDowngrade(c))),      // 21
        new(Nfs4Op.PutFh, "PUTFH", Nfs4Flags.None, static (p, c) => Done(p.PutFh(c))),                   // 22
        new(Nfs4Op.PutPubFh, "PUTPUBFH", Nfs4Flags.None, static (p, c) => Done(p.PutRootFh(c))),         // 23
        new(Nfs4Op.PutRootFh, "PUTROOTFH", Nfs4Flags.None, static (p, c) => Done(p.PutRootFh(c))),       // 24
        new(Nfs4Op.Read, "READ", Fh, static (p, c) => p.ReadAsync(c)),                                   // 25
        new(Nfs4Op.ReadDir, "READDIR", Fh, static (p, c) => p.ReadDirAsync(c)),                          // 26
        new(Nfs4Op.ReadLink, "READLINK", Fh, static (p, c) => p.ReadLinkAsync(c)),                       // 27
        new(Nfs4Op.Remove, "REMOVE", Change, static (p, c) => p.RemoveAsync(c)),                         // 28
        new(Nfs4Op.Rename, "RENAME", Change | Nfs4Flags.NeedsSavedFh, static (p, c) => p.RenameAsync(c)), // 29
        new(Nfs4Op.Renew, "RENEW", V40, static (p, c) => Done(p.Renew(c))),                              // 30
        new(Nfs4Op.RestoreFh, "RESTOREFH", Nfs4Flags.None, static (_, c) => Done(RestoreFh(c))),         // 31 (no saved fh: RESTOREFH, not NOFILEHANDLE)
        new(Nfs4Op.SaveFh, "SAVEFH", Fh, static (_, c) => Done(SaveFh(c))),                              // 32
        new(Nfs4Op.SecInfo, "SECINFO", Fh, static (p, c) => Done(p.SecInfo(c, named: true))),             // 33
        new(Nfs4Op.SetAttr, "SETATTR", Change, static (p, c) => p.SetAttrAsync(c),
            static (c, status) => WriteSetAttrResult(c, status, default)),                               // 34 (SETATTR4res: attrsset even on error)
        new(Nfs4Op.SetClientId, "SETCLIENTID", V40, static (p, c) => Done(p.SetClientId(c))),           // 35
        new(Nfs4Op.SetClientIdConfirm, "SETCLIENTID_CONFIRM", V40, static (p, c) => p.SetClientIdConfirmAsync(c)), // 36
        new(Nfs4Op.Verify, "VERIFY", Fh, static (p, c) => p.VerifyAsync(c, negate: false)),              // 37
        new(Nfs4Op.Write, "WRITE", Change, static (p, c) => p.WriteAsync(c)),                            // 38
        new(Nfs4Op.ReleaseLockOwner, "RELEASE_LOCKOWNER", V40, static (p, c) => Done(p.ReleaseLockOwner(c))), // 39
        new(Nfs4Op.BackchannelCtl, "BACKCHANNEL_CTL", Nfs4Flags.None, static (p, c) => Done(p.BackchannelCtl(c))), // 40
        new(Nfs4Op.BindConnToSession, "BIND_CONN_TO_SESSION", Alone, static (p, c) => Done(p.BindConnToSession(c))), // 41
        new(Nfs4Op.ExchangeId, "EXCHANGE_ID", Alone, static (p, c) => Done(p.ExchangeId(c))),            // 42
        new(Nfs4Op.CreateSession, "CREATE_SESSION", Alone, static (p, c) => p.CreateSessionAsync(c)),    // 43
        new(Nfs4Op.DestroySession, "DESTROY_SESSION", Alone, static (p, c) => Done(p.DestroySession(c))), // 44
        new(Nfs4Op.FreeStateId, "FREE_STATEID", Nfs4Flags.None, static (p, c) => Done(p.FreeStateId(c))), // 45
        new(Nfs4Op.GetDirDelegation, "GET_DIR_DELEGATION", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 46
        new(Nfs4Op.GetDeviceInfo, "GETDEVICEINFO", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 47 pNFS
        new(Nfs4Op.GetDeviceList, "GETDEVICELIST", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 48 pNFS
        new(Nfs4Op.LayoutCommit, "LAYOUTCOMMIT", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 49 pNFS
        new(Nfs4Op.LayoutGet, "LAYOUTGET", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)),   // 50 pNFS
        new(Nfs4Op.LayoutReturn, "LAYOUTRETURN", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 51 pNFS
        new(Nfs4Op.SecInfoNoName, "SECINFO_NO_NAME", Fh, static (p, c) => Done(p.SecInfo(c, named: false))), // 52
        new(Nfs4Op.Sequence, "SEQUENCE", Nfs4Flags.SequenceOnly, static (p, c) => Done(p.Sequence(c))),  // 53
        new(Nfs4Op.SetSsv, "SET_SSV", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)),        // 54
        new(Nfs4Op.TestStateId, "TEST_STATEID", Nfs4Flags.None, static (p, c) => Done(p.TestStateId(c))), // 55
        new(Nfs4Op.WantDelegation, "WANT_DELEGATION", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 56
        new(Nfs4Op.DestroyClientId, "DESTROY_CLIENTID", Alone, static (p, c) => Done(p.DestroyClientId(c))), // 57
        new(Nfs4Op.ReclaimComplete, "RECLAIM_COMPLETE", Nfs4Flags.None, static (p, c) => Done(p.ReclaimComplete(c))), // 58
        // Minor version 2 only (RFC 7862, RFC 8276): Describe answers ILLEGAL for these in a minor version 1 COMPOUND.
        new(Nfs4Op.Allocate, "ALLOCATE", Change, static (p, c) => p.AllocateAsync(c, deallocate: false)), // 59
        new(Nfs4Op.Copy, "COPY", Change | Nfs4Flags.NeedsSavedFh, static (p, c) => p.CopyAsync(c)),        // 60
        new(Nfs4Op.CopyNotify, "COPY_NOTIFY", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)),   // 61 (inter-server copy: not offered)
        new(Nfs4Op.Deallocate, "DEALLOCATE", Change, static (p, c) => p.AllocateAsync(c, deallocate: true)), // 62
        new(Nfs4Op.IoAdvise, "IO_ADVISE", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)),   // 63
        new(Nfs4Op.LayoutError, "LAYOUTERROR", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 64 pNFS
        new(Nfs4Op.LayoutStats, "LAYOUTSTATS", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 65 pNFS
        new(Nfs4Op.OffloadCancel, "OFFLOAD_CANCEL", Fh, static (p, c) => Done(p.OffloadCancel(c))),         // 66
        new(Nfs4Op.OffloadStatus, "OFFLOAD_STATUS", Fh, static (p, c) => Done(p.OffloadStatus(c))),         // 67
        new(Nfs4Op.ReadPlus, "READ_PLUS", Fh, static (p, c) => p.ReadPlusAsync(c)),                     // 68
        new(Nfs4Op.Seek, "SEEK", Fh, static (p, c) => p.SeekAsync(c)),                                   // 69
        new(Nfs4Op.WriteSame, "WRITE_SAME", Nfs4Flags.None, static (_, _) => Done(Nfs4Status.NotSupp)), // 70
        new(Nfs4Op.Clone, "CLONE", Change | Nfs4Flags.NeedsSavedFh, static (p, c) => p.CloneAsync(c)),      // 71
        new(Nfs4Op.GetXattr, "GETXATTR", Fh, static (p, c) => p.GetXattrAsync(c)),                       // 72
        new(Nfs4Op.SetXattr, "SETXATTR", Change, static (p, c) => p.SetXattrAsync(c)),                   // 73
        new(Nfs4Op.ListXattrs, "LISTXATTRS", Fh, static (p, c) => p.ListXattrsAsync(c)),                 // 74
        new(Nfs4Op.RemoveXattr, "REMOVEXATTR", Change, static (p, c) => p.RemoveXattrAsync(c)),          // 75
    ];

    /// <summary>The last operation of minor version 1 (RFC 8881); the rows after it are minor version 2's.</summary>
    private const uint LastMinor1Op = (uint)Nfs4Op.ReclaimComplete;

    /// <summary>The operations in number order (tests and docs read the names here).</summary>
    public static IEnumerable<Nfs4Operation> Operations => s_operations.OfType<Nfs4Operation>();

    /// <summary>
    /// The descriptor of an operation number in a minor version: ILLEGAL for any number its RFC does not define
    /// (RFC 8881 §15.2: OP_ILLEGAL; so a minor version 2 operation in a minor version 1 COMPOUND, or a 4.1
    /// operation in a 4.0 one, is NFS4ERR_OP_ILLEGAL).
    /// </summary>
    public static Nfs4Operation Describe(uint op, uint minor = Nfs4Const.MinorVersion1) =>
        op < (uint)s_operations.Length && (minor != 0 || op < FirstMinor1Op) && (op <= LastMinor1Op || minor >= Nfs4Const.MinorVersion2)
            && s_operations[op] is { } known ? known : s_illegal;

    private static ValueTask<Nfs4Status> Done(Nfs4Status status) => new(status);

    /// <summary>
    /// The checks the table's flags call for, before the operation runs. RFC 8881 §2.6.3.1.1.8:
    /// SEQUENCE comes first and only first; without it only the operations allowed without a
    /// session may be sent, each alone. Then a current (and saved) filehandle where the operation
    /// needs one, and a writable one where it changes the filesystem.
    /// </summary>
    private static Nfs4Status Check(Compound c, Nfs4Operation op)
    {
        if (op.Has(Nfs4Flags.SequenceOnly)) return c.OpIndex == 0 ? Nfs4Status.Ok : Nfs4Status.SequencePos;
        if (op.Has(Nfs4Flags.Minor0Only) && c.Minor != 0) return Nfs4Status.NotSupp;
        if (c.Minor == 0)
        {
            // 4.0 has no sessions: each op names its client by a clientid or a stateid.
        }
        else if (c.Session is null)
        {
            if (!op.Has(Nfs4Flags.AllowedWithoutSession)) return Nfs4Status.OpNotInSession;
            if (c.OpCount != 1) return Nfs4Status.NotOnlyOp;
        }
        if (op.Has(Nfs4Flags.NeedsCurrentFh) && c.Current.IsNone) return Nfs4Status.NoFileHandle;
        if (op.Has(Nfs4Flags.NeedsSavedFh) && c.Saved.IsNone) return Nfs4Status.NoFileHandle;
        if (op.Has(Nfs4Flags.Modifies) && (c.Current.Kind == FhKind.Pseudo || c.Current.Export!.ReadOnly)) return Nfs4Status.RoFs;
        return Nfs4Status.Ok;
    }
}
