using DittoFs.Server.Protocol.Nfs4.Attributes;
using DittoFs.Server.Protocol.Nfs4.State;
using DittoFs.Storage;
using DittoFs.Xdr;

namespace DittoFs.Server.Protocol.Nfs4;

// RFC 8881 §18.16 OPEN, §18.18 OPEN_DOWNGRADE, §18.2 CLOSE, §18.6 DELEGRETURN. Read and write delegations (Nfs4State.Delegations.cs).
internal sealed partial class Nfs4Program
{
    // §18.16 OPEN
    private async ValueTask<Nfs4Status> OpenAsync(Compound c)
    {
        // seqid is unused in 4.1; the owner's clientid is the session's client.
        Open4Args a = c.Decode<Open4Args>();
        (uint shareAccess, uint shareDeny, byte[] owner) = (a.ShareAccess, a.ShareDeny, a.Owner.Owner.ToArray());
        uint openType = a.OpenHow.OpenType;
        uint createMode = 0;
        ulong verifier = 0;
        SetAttributes attributes = default;
        Bitmap4 mask = default;
        Nfs4Status status = Nfs4Status.Ok;
        if (openType == Nfs4Const.OpenCreate)
        {
            CreateHow4 how = a.OpenHow.How;
            createMode = how.Mode;
            switch (createMode)
            {
                case Nfs4Const.Unchecked4 or Nfs4Const.Guarded4:
                    status = ReadAttributes(c, how.CreateAttrs, out attributes, out mask);
                    break;
                case Nfs4Const.Exclusive4:
                    verifier = how.CreateVerf;
                    break;
                case Nfs4Const.Exclusive4_1:
                    verifier = how.CreateBoth.Verf;
                    status = ReadAttributes(c, how.CreateBoth.Attrs, out attributes, out mask);
                    if (status == Nfs4Status.Ok && !mask.IsSubsetOf(Attr.ExclCreat)) status = Nfs4Status.Inval;
                    break;
                default:
                    return Nfs4Status.Inval;
            }
        }
        else if (openType != Nfs4Const.OpenNoCreate)
        {
            return Nfs4Status.Inval;
        }
        uint claim = a.Claim.Claim;
        ReadOnlyMemory<byte> name = claim switch
        {
            Nfs4Const.ClaimNull or Nfs4Const.ClaimDelegatePrev => a.Claim.File,
            Nfs4Const.ClaimDelegateCur => a.Claim.DelegateCurInfo.File,
            _ => default,
        };
        Stateid4 delegation = claim switch
        {
            Nfs4Const.ClaimDelegateCur => a.Claim.DelegateCurInfo.DelegateStateid,
            Nfs4Const.ClaimDelegCurFh => a.Claim.DelegateStateid,
            _ => default,
        };
        if (claim > Nfs4Const.ClaimDelegPrevFh) return Nfs4Status.Inval;
        if (status != Nfs4Status.Ok) return status;

        uint access = shareAccess & Nfs4Const.ShareAccessBoth;
        uint want = shareAccess & Nfs4Const.ShareAccessWantMask;
        if (access == 0 || (shareAccess & ~(Nfs4Const.ShareAccessBoth | Nfs4Const.ShareAccessWantMask | 0x30000u)) != 0 || shareDeny > Nfs4Const.ShareAccessBoth
            || want > Nfs4Const.ShareAccessWantCancel)
        {
            return Nfs4Status.Inval;
        }
        if (claim is Nfs4Const.ClaimDelegatePrev or Nfs4Const.ClaimDelegPrevFh) return Nfs4Status.NotSupp;
        bool delegated = claim is Nfs4Const.ClaimDelegateCur or Nfs4Const.ClaimDelegCurFh;
        SeqOwner? seqOwner = null;
        if (c.Minor == 0)
        {
            // 4.0: the owner names its client; its seqid orders its requests (a retransmission gets the last reply).
            // RFC 7530 has no WANT bits in share_access (nor OPEN_DELEGATE_NONE_EXT to answer them with).
            if (claim > Nfs4Const.ClaimDelegatePrev || createMode == Nfs4Const.Exclusive4_1 || want != 0) return Nfs4Status.Inval;
            status = state.Client40(a.Owner.ClientId, out ClientRecord? owning);
            if (status != Nfs4Status.Ok) return status;
            c.Client = owning;
            seqOwner = state.OpenOwner(owning!, owner);
            if (!BeginSeqid(c, seqOwner, a.Seqid, open: true, out status)) return status;
        }
        ClientRecord client = c.Client!;
        if (claim == Nfs4Const.ClaimPrevious)
        {
            if (!state.MayReclaim(client)) return Nfs4Status.NoGrace;
        }
        else if (state.InGrace && !delegated) // a delegation's opens are claimed in grace too (§10.2.1)
        {
            return Nfs4Status.Grace;
        }
        bool write = (access & Nfs4Const.ShareAccessWrite) != 0 || openType == Nfs4Const.OpenCreate;
        status = NeedFh(c, write && openType == Nfs4Const.OpenCreate && claim == Nfs4Const.ClaimNull);
        if (status != Nfs4Status.Ok) return status;
        if (c.Current.Kind == FhKind.Pseudo) return claim == Nfs4Const.ClaimNull ? Nfs4Status.RoFs : Nfs4Status.IsDir;

        Storage.WccData dirWcc = default;
        FileAttributes file;
        bool created = false;
        if (claim is Nfs4Const.ClaimNull or Nfs4Const.ClaimDelegateCur)
        {
            status = CheckName(name.Span);
            if (status != Nfs4Status.Ok) return status;
            if (openType == Nfs4Const.OpenCreate && !delegated)
            {
                // A create may truncate (or set attributes of) a file that exists: another client's delegation of it is recalled first.
                (status, ChangeTicket ticket) = await BeginChangeOfNameAsync(c, c.Current, name);
                using ChangeTicket change = ticket;
                if (status != Nfs4Status.Ok) return status;
                var request = new CreateRequest
                {
                    Type = FileType.Regular,
                    Mode = createMode switch
                    {
                        Nfs4Const.Unchecked4 => CreateMode.Unchecked,
                        Nfs4Const.Guarded4 => CreateMode.Guarded,
                        _ => CreateMode.Exclusive,
                    },
                    Attributes = attributes,
                    Verifier = verifier,
                };
                CreateResult result = await Fs.CreateAsync(c.Current.Caller, c.Current.Id, name, request);
                if (result.Status != FsStatus.Ok) return Map(result.Status);
                file = result.File;
                dirWcc = result.Directory;
                created = result.Directory.After is { } after && result.Directory.Before is { } before && after.ChangeTime != before.ChangeTime;
            }
            else
            {
                LookupResult result = await Fs.LookupAsync(c.Current.Caller, c.Current.Id, name);
                if (result.Status != FsStatus.Ok) return Map(result.Status);
                file = result.File;
                if (result.Directory is { } dir) dirWcc = new Storage.WccData(null, dir);
            }
        }
        else
        {
            FsResult<FileAttributes> result = await Fs.GetAttributesAsync(c.Current.Id);
            if (!result.Ok) return Map(result.Status);
            file = result.Value;
        }
        switch (file.Type)
        {
            case FileType.Regular: break;
            case FileType.Directory: return Nfs4Status.IsDir;
            case FileType.Symlink: return Nfs4Status.Symlink;
            default: return Nfs4Status.WrongType;
        }
        if (!created && claim != Nfs4Const.ClaimPrevious)
        {
            AccessMask wanted = ((access & Nfs4Const.ShareAccessRead) != 0 ? AccessMask.Read : 0)
                | ((access & Nfs4Const.ShareAccessWrite) != 0 ? AccessMask.Modify : 0);
            AccessResult allowed = await Fs.AccessAsync(c.Current.Caller, file.Id, wanted);
            if (allowed.Status != FsStatus.Ok) return Map(allowed.Status);
            if ((allowed.Granted & wanted) != wanted) return Nfs4Status.Access;
        }
        if ((access & Nfs4Const.ShareAccessWrite) != 0 && c.Current.Export!.ReadOnly) return Nfs4Status.RoFs;

        // CLAIM_DELEGATE_CUR / CLAIM_DELEG_CUR_FH: an open the client made locally under its delegation, told us while returning it.
        if (delegated && (status = state.CheckDelegation(client, delegation, file.Id)) != Nfs4Status.Ok) return status;
        // Not on the OPEN that creates the file (knfsd long did the same): a file written once as it is made would
        // otherwise keep a write delegation its first reader has to recall.
        // Nor to a 4.0 open owner not yet confirmed (as knfsd): an unconfirmed open may be dropped with its owner.
        bool mayDelegate = (claim is Nfs4Const.ClaimNull or Nfs4Const.ClaimFh) && !created && seqOwner is not { Confirmed: false };
        Stateid4 stateid;
        OpenDelegation granted;
        if (state.SharedAcrossServers) (status, stateid, granted) = await state.OpenAcrossServersAsync(client, file.Id, owner, access, shareDeny, want, mayDelegate);
        else status = state.Open(client, file.Id, owner, access, shareDeny, want, mayDelegate, out stateid, out granted);
        if (status != Nfs4Status.Ok) return status;
        c.Current.Id = file.Id;
        c.CurrentStateid = stateid;
        c.HasCurrentStateid = true;

        uint flags = Nfs4Const.OpenResultLocktypePosix | Nfs4Const.OpenResultPreserveUnlinked;
        if (seqOwner is not null)
        {
            // 4.0: a new open owner confirms its first open (OPEN_CONFIRM); a reclaim needs none (knfsd does the same).
            if (claim == Nfs4Const.ClaimPrevious) state.ConfirmOwner(seqOwner);
            else if (!seqOwner.Confirmed) flags |= Nfs4Const.OpenResultConfirm;
            // PRESERVE_UNLINKED is 4.1's (RFC 8881); RFC 7530 defines only CONFIRM and LOCKTYPE_POSIX.
            flags &= ~Nfs4Const.OpenResultPreserveUnlinked;
        }
        if (!created) mask = default;
        mask.W0 &= Attr.Supported.W0;
        return c.ReplyOk(new Open4ResOk
        {
            Stateid = stateid,
            CInfo = ChangeInfo(dirWcc),
            // PRESERVE_UNLINKED: an open file outlives REMOVE here (nlink 0), so the client need not rename it away.
            RFlags = flags,
            Attrset = mask,
            Delegation = ToWire(granted, c.Current.Caller.Uid, access),
        });
    }

    /// <summary>
    /// open_delegation4 (§18.16.2): NONE; READ with its stateid, recall false and an ACE that grants nothing
    /// (the client checks access itself, with ACCESS); WRITE with its stateid, recall false, no space limit
    /// (NFS_LIMIT_SIZE of all ones: the client need not flush on close for want of space) and an ACE that allows
    /// the opener (its uid, as owners are written) what it opened for; NONE_EXT with why_no_delegation4 and, for
    /// CONTENTION and RESOURCE, "will not push / signal" (false).
    /// </summary>
    private static OpenDelegation4 ToWire(in OpenDelegation delegation, uint opener, uint access)
    {
        const uint aceReadData = 0x1, aceWriteData = 0x2, aceAppendData = 0x4;
        return delegation.Type switch
        {
            Nfs4Const.OpenDelegateRead => new OpenDelegation4
            {
                DelegationType = OpenDelegation4.Read,
                // nfsace4: ACE4_ACCESS_ALLOWED_ACE_TYPE, no flags, access_mask nothing, who "".
                ReadDelegation = new OpenReadDelegation4 { Stateid = delegation.Stateid, Recall = false, Permissions = default },
            },
            Nfs4Const.OpenDelegateWrite => new OpenDelegation4
            {
                DelegationType = OpenDelegation4.Write,
                WriteDelegation = new OpenWriteDelegation4
                {
                    Stateid = delegation.Stateid,
                    Recall = false,
                    SpaceLimit = new NfsSpaceLimit4 { LimitBy = NfsSpaceLimit4.LimitSize, FileSize = ulong.MaxValue },
                    // Allowed to the opener (its uid, as owners are written; a grant is rare, so the string is fine).
                    Permissions = new NfsAce4
                    {
                        AccessMask = ((access & Nfs4Const.ShareAccessRead) != 0 ? aceReadData : 0) | aceWriteData | aceAppendData,
                        Who = System.Text.Encoding.ASCII.GetBytes(opener.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    },
                },
            },
            Nfs4Const.OpenDelegateNoneExt => new OpenDelegation4
            {
                DelegationType = OpenDelegation4.NoneExt,
                WhyNone = new OpenNoneDelegation4 { Why = delegation.Why },
            },
            _ => new OpenDelegation4 { DelegationType = delegation.Type },
        };
    }

    /// <summary>A stateid argument with "current" resolved (§16.2.3.1.2); BAD_STATEID for none or a special one.</summary>
    /// <summary>In 4.0 (no "current" stateid) the stateid's client is bound to the compound.</summary>
    private Nfs4Status Resolve(Compound c, ref Stateid4 stateid)
    {
        if (stateid.IsCurrent && c.Minor != 0)
        {
            if (!c.HasCurrentStateid) return Nfs4Status.BadStateId;
            stateid = c.CurrentStateid;
        }
        return stateid.IsSpecial ? Nfs4Status.BadStateId : BindClient(c, stateid);
    }

    // §18.2 CLOSE
    private Nfs4Status Close(Compound c)
    {
        Close4Args a = c.Decode<Close4Args>();
        (uint seqid, Stateid4 stateid) = (a.Seqid, a.OpenStateid);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (status == Nfs4Status.Ok) status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        SeqOwner? owner = null;
        if (c.Minor == 0)
        {
            status = state.OwnerOf(c.Client!, stateid, out owner);
            if (status != Nfs4Status.Ok || !BeginSeqid(c, owner!, seqid, open: false, out status)) return status;
        }
        status = state.Close(c.Client!, stateid, c.Current.Id);
        if (status != Nfs4Status.Ok) return status;
        if (owner is not null) state.Retire(owner, stateid);
        return c.ReplyWithCurrentStateid(Stateid4.Closed);
    }

    // §18.18 OPEN_DOWNGRADE: access and deny may only shrink.
    private Nfs4Status OpenDowngrade(Compound c)
    {
        OpenDowngrade4Args a = c.Decode<OpenDowngrade4Args>();
        (Stateid4 stateid, uint access, uint deny) = (a.OpenStateid, a.ShareAccess & ~Nfs4Const.ShareAccessWantMask, a.ShareDeny);
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (status == Nfs4Status.Ok) status = Resolve(c, ref stateid);
        if (status != Nfs4Status.Ok) return status;
        if (c.Minor == 0)
        {
            status = state.OwnerOf(c.Client!, stateid, out SeqOwner? owner);
            if (status != Nfs4Status.Ok || !BeginSeqid(c, owner!, a.Seqid, open: false, out status)) return status;
        }
        status = state.Downgrade(c.Client!, stateid, c.Current.Id, access, deny, out Stateid4 result);
        if (status != Nfs4Status.Ok) return status;
        return c.ReplyWithCurrentStateid(result);
    }

    // §18.6 DELEGRETURN: the delegation of the current file goes; a conflicting request waiting for it goes through on its retry.
    private Nfs4Status DelegReturn(Compound c)
    {
        Stateid4 stateid = c.Decode<DelegReturn4Args>().DelegStateid;
        Nfs4Status status = NeedFh(c);
        if (status != Nfs4Status.Ok) return status;
        if (status == Nfs4Status.Ok) status = Resolve(c, ref stateid);
        if (status == Nfs4Status.Ok) status = state.ReturnDelegation(c.Client!, stateid, c.Current.Id);
        return status;
    }
}
