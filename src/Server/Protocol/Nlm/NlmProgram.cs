using System.Net;
using DittoFs.Server.Exports;
using DittoFs.Server.Protocol.Locks;
using DittoFs.Server.Rpc;
using DittoFs.Storage;

namespace DittoFs.Server.Protocol.Nlm;

/// <summary>
/// NLM version 4 (XNFS 3W ch. 10), program 100021: byte-range locks and share reservations for NFSv3
/// clients, in the table NFSv4 locks live in (<see cref="ByteRangeLocks"/>). The synchronous procedures
/// the Linux client uses over TCP, and their _MSG variants (results sent back as _RES calls, bounded per
/// host). One file per procedure (NlmProgram.&lt;Procedure&gt;.cs).
/// Offsets are uint64 with l_len 0 meaning "to the end"; an offset past 2^63-1 (loff_t) is FBIG.
/// </summary>
internal sealed partial class NlmProgram(StorageHost storage, NlmState state, Microsoft.Extensions.Options.IOptions<Options.DittoFsOptions> options) : IRpcProgram
{
    public uint Program => RpcPrograms.Nlm;
    public uint LowVersion => 4;
    public uint HighVersion => 4;

    public ValueTask HandleAsync(RpcCall call)
    {
        if (!options.Value.Nlm.Enabled)
        {
            call.ReplyAccepted(AcceptStatus.ProgramUnavailable);
            return ValueTask.CompletedTask;
        }
        // Several servers on one database: LOCK, TEST and UNLOCK ask it too (NlmProgram.Shared.cs); otherwise all is synchronous.
        if (state.SharedAcrossServers && AcrossServers(call) is { } shared) return shared;
        switch ((NlmProcedure)call.Procedure)
        {
            case NlmProcedure.Null: call.ReplyVoid(); break;          // 0
            case NlmProcedure.Test: Answer<Nlm4TestArgs, Nlm4TestRes>(call, Test); break; // 1
            case NlmProcedure.Lock: Answer<Nlm4LockArgs, Nlm4Res>(call, (c, a) => Lock(c, a, monitored: true)); break; // 2
            case NlmProcedure.Cancel: Answer<Nlm4CancelArgs, Nlm4Res>(call, Cancel); break; // 3
            case NlmProcedure.Unlock: Answer<Nlm4UnlockArgs, Nlm4Res>(call, Unlock); break; // 4
            case NlmProcedure.Granted: Granted(call); break;          // 5
            case NlmProcedure.TestMsg: Message<Nlm4TestArgs, Nlm4TestRes>(call, NlmProcedure.TestRes, Test); break; // 6
            case NlmProcedure.LockMsg: Message<Nlm4LockArgs, Nlm4Res>(call, NlmProcedure.LockRes, (c, a) => Lock(c, a, monitored: true)); break; // 7
            case NlmProcedure.CancelMsg: Message<Nlm4CancelArgs, Nlm4Res>(call, NlmProcedure.CancelRes, Cancel); break; // 8
            case NlmProcedure.UnlockMsg: Message<Nlm4UnlockArgs, Nlm4Res>(call, NlmProcedure.UnlockRes, Unlock); break; // 9
            // GRANTED_MSG (10): this server waits for no lock of its own; the results of _MSG calls (11-14) it never sent
            // are taken and dropped, as knfsd does.
            case NlmProcedure.GrantedMsg or NlmProcedure.TestRes or NlmProcedure.LockRes or NlmProcedure.CancelRes or NlmProcedure.UnlockRes:
                call.ReplyVoid();
                break;
            case NlmProcedure.GrantedRes: GrantedRes(call); break;    // 15
            case NlmProcedure.Share: Share(call, share: true); break; // 20
            case NlmProcedure.Unshare: Share(call, share: false); break; // 21
            case NlmProcedure.NmLock: Answer<Nlm4LockArgs, Nlm4Res>(call, (c, a) => Lock(c, a, monitored: false)); break; // 22
            case NlmProcedure.FreeAll: FreeAll(call); break;          // 23
            default: call.ReplyAccepted(AcceptStatus.ProcedureUnavailable); break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Our handle → the file. STALE_FH for bytes that are not our handle or a volume no export serves; FAILED for a client the export refuses.</summary>
    private Nlm4Status Resolve(RpcCall call, ReadOnlyMemory<byte> fh, out FileId file)
    {
        file = default;
        switch (HandleResolver.Resolve(storage.Exports, call, fh.Span, out _, out ResolvedHandle resolved))
        {
            case HandleStatus.Ok:
                file = resolved.Id;
                return Nlm4Status.Granted;
            case HandleStatus.BadHandle:
            case HandleStatus.NoExport:
                return Nlm4Status.StaleFh;
            default:
                return Nlm4Status.Failed;
        }
    }

    /// <summary>l_offset, l_len → [start, end): l_len 0, or a range past the largest offset, runs to the end; FBIG for an offset past 2^63-1.</summary>
    private static Nlm4Status Range(in Nlm4Lock l, out ulong start, out ulong end)
    {
        start = l.Offset;
        end = ulong.MaxValue;
        if (l.Offset > long.MaxValue) return Nlm4Status.FBig;
        if (l.Length != 0 && l.Length <= (ulong)long.MaxValue + 1 - l.Offset) end = l.Offset + l.Length;
        return Nlm4Status.Granted;
    }

    /// <summary>The file and range of an nlm4_lock (GRANTED, or the status that refuses it).</summary>
    private Nlm4Status Target(RpcCall call, in Nlm4Lock l, out FileId file, out ulong start, out ulong end)
    {
        start = end = 0;
        Nlm4Status status = Resolve(call, l.Fh, out file);
        return status != Nlm4Status.Granted ? status : Range(l, out start, out end);
    }

    private static NlmOwner Owner(in Nlm4Lock l, RpcCall call) => new(HostOf(l.CallerName.Span, call), l.Svid, l.Oh.ToArray());

    /// <summary>
    /// The host a call speaks for. caller_name is whatever the client claims, so a host is that name at the
    /// address the call came from: no client can unlock, FREE_ALL or re-address another machine's locks by
    /// claiming its name. Only hostname characters are kept: the name is persisted, one per line, in nlm/hosts.
    /// </summary>
    internal static string HostOf(ReadOnlySpan<byte> callerName, RpcCall call)
    {
        string name = System.Text.Encoding.UTF8.GetString(callerName);
        Span<char> safe = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        for (int i = 0; i < name.Length; i++) safe[i] = char.IsAsciiLetterOrDigit(name[i]) || name[i] is '.' or '-' or '_' or ':' ? name[i] : '_';
        return string.Concat(safe, "@", CallerAddress(call)?.ToString() ?? "local");
    }

    /// <summary>nlm4_holder of a conflicting range: an NFSv4 owner shows as svid 0 with its lock-owner bytes as oh.</summary>
    private static Nlm4Holder Holder(HeldRange r) =>
        Holder(r.Start, r.End, r.Write, (r.Holder as NlmOwner)?.Svid ?? 0, (r.Holder as IForeignLockHolder)?.OwnerBytes ?? (r.Holder as Nfs4.State.LockState)?.LockOwner ?? []);

    /// <summary>nlm4_holder of [start, end): l_len 0 for a range to the end.</summary>
    private static Nlm4Holder Holder(ulong start, ulong end, bool write, int svid, byte[] oh) => new()
    {
        Exclusive = write,
        Svid = svid,
        Oh = oh,
        Offset = start,
        Length = end == ulong.MaxValue ? 0 : end - start,
    };

    private static IPAddress? CallerAddress(RpcCall call) =>
        call.Connection.RemoteEndPoint?.Address is { } a && a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : call.Connection.RemoteEndPoint?.Address;

}
