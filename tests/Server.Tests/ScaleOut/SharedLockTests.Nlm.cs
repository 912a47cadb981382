using System.Text;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Server.Protocol.Nlm;
using DittoFs.Server.Tests.Infrastructure;
using DittoFs.Server.Tests.Protocol.Nfs4;
using DittoFs.Server.Tests.Protocol.Nlm;
using DittoFs.Storage.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace DittoFs.Server.Tests.ScaleOut;

/// <summary>
/// NLM (NFSv3 clients, raw NLM v4 calls) through two servers on one database: an NLM LOCK or TEST through one server
/// sees the locks held through the other, of either protocol; a blocking LOCK waits for the other server's lock and is
/// granted with an NLM_GRANTED callback when it goes; a database that does not answer in time is DENIED_NOLOCKS.
/// </summary>
public sealed partial class SharedLockTests
{
    private static readonly TimeSpan CallbackWait = TimeSpan.FromSeconds(20);

    /// <summary>The NFSv3 handle of /export/name through this server.</summary>
    private static byte[] V3Handle(ServerProcess server, string name)
    {
        using var v3 = new Nfs3Client(server.NfsPort);
        Lookup3Res found = v3.Lookup(v3.Mount(), name);
        Assert.Equal(Nfs3Status.Ok, found.Status);
        return found.ResOk.Object.Data.ToArray();
    }

    /// <summary>A new file /export/name, created over NFSv3 through this server: its handle.</summary>
    private static byte[] NewV3File(ServerProcess server, string name)
    {
        using var v3 = new Nfs3Client(server.NfsPort);
        Create3Res created = v3.Create(v3.Mount(), name);
        Assert.Equal(Nfs3Status.Ok, created.Status);
        return created.ResOk.Obj.Handle!.Value.Data.ToArray();
    }

    /// <summary>A new NFSv3 file through A, its handle through B, and an NLM client on each server (host-a on A, host-b on B).</summary>
    private sealed record NlmPair(byte[] FhA, byte[] FhB, NlmTestClient NlmA, NlmTestClient NlmB) : IDisposable
    {
        public static NlmPair Open(ServerProcess a, ServerProcess b, string name)
        {
            byte[] fhA = NewV3File(a, name), fhB = V3Handle(b, name);
            return new(fhA, fhB, new NlmTestClient(a.NfsPort, "host-a"), new NlmTestClient(b.NfsPort, "host-b"));
        }

        public void Dispose()
        {
            NlmA.Dispose();
            NlmB.Dispose();
        }
    }

    /// <summary>Both servers send their NLM callbacks (NLM_GRANTED, _RES) to this fake client host's portmapper.</summary>
    private static Dictionary<string, string> CallbacksTo(FakeClientHost host) =>
        new() { ["DittoFs:Nlm:ClientPortmapPort"] = host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static void AssertHolder(Nlm4TestRes tested, bool exclusive, string oh, ulong offset, ulong length)
    {
        Assert.Equal(Nlm4Status.Denied, tested.Reply.Status);
        Nlm4Holder h = tested.Reply.Holder;
        // Another server's holder: svid 0 (the database keeps no svid), its owner bytes as oh.
        Assert.Equal((exclusive, 0, oh, offset, length), (h.Exclusive, h.Svid, Encoding.UTF8.GetString(h.Oh.Span), h.Offset, h.Length));
    }

    [PostgresFact]
    public void AnNlmLockThroughA_IsInTheDatabaseWhenGranted_SoAnNfs4LockThroughBIsDenied_UntilTheNlmUnlock()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        Nfs4TestClient clientB = Connect(b);
        (_, byte[] handle, byte[] openB) = Open(clientB, "nlm", Read | Write);
        byte[] fh = V3Handle(a, "nlm"); // the file B's client made: one namespace
        using var nlm = new NlmTestClient(a.NfsPort, "host-v3");
        Assert.Equal(Nlm4Status.Granted, nlm.Lock(fh, svid: 1, offset: 0, length: 100));

        // The grant wrote its row before the reply; the unlock's is gone before its reply.
        LockReply reply = Lock(clientB, handle, openB, "v4", 50, 10);
        Assert.Equal((Nfs4Status.Denied, 0ul, 100ul, true, "1@host-v3"), (reply.Status, reply.Offset, reply.Length, reply.WriteLock, reply.Owner));
        Assert.Equal(Nlm4Status.Granted, nlm.Unlock(fh, svid: 1, offset: 0, length: 100));
        Assert.Equal(Nfs4Status.Ok, Lock(clientB, handle, openB, "v4", 50, 10).Status);
    }

    [PostgresFact]
    public void AnNfs4LockThroughA_DeniesAnNlmLockThroughB_AndNlmTestThroughBReportsIt()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        Nfs4TestClient clientA = Connect(a);
        (_, byte[] handle, byte[] openA) = Open(clientA, "v4-held", Read | Write);
        Assert.Equal(Nfs4Status.Ok, Lock(clientA, handle, openA, "lo-a", 10, 90).Status); // [10, 100), write
        byte[] fh = V3Handle(b, "v4-held");
        using var nlm = new NlmTestClient(b.NfsPort, "host-b");

        Assert.Equal(Nlm4Status.Denied, nlm.Lock(fh, svid: 1, offset: 50, length: 10));
        Assert.Equal(Nlm4Status.Denied, nlm.Lock(fh, svid: 1, offset: 0, length: 0, exclusive: false)); // reading the whole file
        AssertHolder(nlm.Test(fh, svid: 1, offset: 0, length: 20, exclusive: false), exclusive: true, "lo-a", 10, 90);
        Assert.Equal(Nlm4Status.Granted, nlm.Test(fh, svid: 1, offset: 100, length: 0).Reply.Status);

        // Beside it is free: granted through B, and then A's v4 client is denied that.
        Assert.Equal(Nlm4Status.Granted, nlm.Lock(fh, svid: 1, offset: 100, length: 10));
        LockReply denied = Lock(clientA, handle, openA, "lo-a2", 105, 1, write: false);
        Assert.Equal((Nfs4Status.Denied, 100ul, 10ul, true, "1@host-b"), (denied.Status, denied.Offset, denied.Length, denied.WriteLock, denied.Owner));
    }

    [PostgresFact]
    public void AnNlmLockThroughA_DeniesAnNlmLockThroughB_UntilItIsUnlocked()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        using NlmPair pair = NlmPair.Open(a, b, "nlm-both");
        (byte[] fhA, byte[] fhB, NlmTestClient nlmA, NlmTestClient nlmB) = pair;

        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 1, offset: 0, length: 100));
        Assert.Equal(Nlm4Status.Denied, nlmB.Lock(fhB, svid: 2, offset: 50, length: 10));
        Assert.Equal(Nlm4Status.Denied, nlmB.Lock(fhB, svid: 2, offset: 99, length: 1, exclusive: false));
        AssertHolder(nlmB.Test(fhB, svid: 2, offset: 99, length: 5), exclusive: true, "1@host-a", 0, 100);

        // Past it, to the end of the file: granted through B, and then denied through A, to another owner of A's host too.
        Assert.Equal(Nlm4Status.Granted, nlmB.Lock(fhB, svid: 2, offset: 100, length: 0));
        Assert.Equal(Nlm4Status.Denied, nlmA.Lock(fhA, svid: 3, offset: 200, length: 1));
        AssertHolder(nlmA.Test(fhA, svid: 3, offset: 100, length: 0, exclusive: false), exclusive: true, "2@host-b", 100, 0);

        // A's unlock is in the database before its reply: B gets the range at once.
        Assert.Equal(Nlm4Status.Granted, nlmA.Unlock(fhA, svid: 1, offset: 0, length: 100));
        Assert.Equal(Nlm4Status.Granted, nlmB.Lock(fhB, svid: 2, offset: 0, length: 100));
        Assert.Equal(Nlm4Status.Denied, nlmA.Lock(fhA, svid: 1, offset: 0, length: 1));
    }

    [PostgresFact]
    public void LockMsgTestMsgAndNmLockThroughB_SeeANlmLockThroughA()
    {
        using var clientHost = new FakeClientHost();
        (ServerProcess a, ServerProcess b) = StartTwo(CallbacksTo(clientHost));
        using NlmPair pair = NlmPair.Open(a, b, "nlm-msg");
        (byte[] fhA, byte[] fhB, NlmTestClient nlmA, NlmTestClient nlmB) = pair;
        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 1, offset: 0, length: 10));
        while (clientHost.Calls.TryTake(out _)) { }

        nlmB.LockMsg(fhB, svid: 2, offset: 5, length: 1, cookie: "lock-b");
        byte[]? locked = clientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.LockRes, CallbackWait);
        Assert.NotNull(locked);
        var reader = new DittoFs.Xdr.XdrReader(locked);
        Nlm4Res lockRes = Nlm4Res.Decode(ref reader);
        Assert.Equal((Nlm4Status.Denied, "lock-b"), (lockRes.Status, Encoding.UTF8.GetString(lockRes.Cookie.Span)));
        nlmB.TestMsg(fhB, svid: 2, offset: 9, length: 1);
        byte[]? tested = clientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.TestRes, CallbackWait);
        Assert.NotNull(tested);
        reader = new DittoFs.Xdr.XdrReader(tested);
        AssertHolder(Nlm4TestRes.Decode(ref reader), exclusive: true, "1@host-a", 0, 10);
        Assert.Equal(Nlm4Status.Denied, nlmB.NmLock(fhB, svid: 2, offset: 5, length: 1));

        // UNLOCK_MSG's result is sent once the database knows: then B's NM_LOCK is granted.
        nlmA.UnlockMsg(fhA, svid: 1, offset: 0, length: 10);
        byte[]? unlocked = clientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.UnlockRes, CallbackWait);
        Assert.NotNull(unlocked);
        reader = new DittoFs.Xdr.XdrReader(unlocked);
        Assert.Equal(Nlm4Status.Granted, Nlm4Res.Decode(ref reader).Status);
        Assert.Equal(Nlm4Status.Granted, nlmB.NmLock(fhB, svid: 2, offset: 5, length: 1));
    }

    [PostgresFact]
    public void FreeAllOfAHostThroughA_FreesItsLocksForBsClients()
    {
        (ServerProcess a, ServerProcess b) = StartTwo();
        using NlmPair pair = NlmPair.Open(a, b, "nlm-reboot");
        (byte[] fhA, byte[] fhB, NlmTestClient nlmA, NlmTestClient nlmB) = pair;
        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 2, offset: 20, length: 10, exclusive: false));
        Assert.Equal(Nlm4Status.Denied, nlmB.Lock(fhB, svid: 3, offset: 0, length: 30));

        // host-a rebooted: its locks go on A, and A's rows in the background (within moments).
        nlmA.FreeAll("host-a");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Nlm4Status status;
        while ((status = nlmB.Lock(fhB, svid: 3, offset: 0, length: 30)) == Nlm4Status.Denied && watch.Elapsed < TimeSpan.FromSeconds(15)) Thread.Sleep(100);
        Assert.Equal(Nlm4Status.Granted, status);
        AssertHolder(nlmA.Test(fhA, svid: 1, offset: 25, length: 1, exclusive: false), exclusive: true, "3@host-b", 0, 30);
    }

    [PostgresFact]
    public void ABlockingNlmLockThroughB_WaitsForAsLock_AndIsGrantedWithACallbackWhenAUnlocks_ACancelledOneNever()
    {
        using var clientHost = new FakeClientHost();
        (ServerProcess a, ServerProcess b) = StartTwo(CallbacksTo(clientHost));
        using NlmPair pair = NlmPair.Open(a, b, "nlm-wait");
        (byte[] fhA, byte[] fhB, NlmTestClient nlmA, NlmTestClient nlmB) = pair;
        using var nlmC = new NlmTestClient(b.NfsPort, "host-c");

        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 1)); // the whole file
        // Through B: C's request waits first, then is cancelled; B's waits (its client polls with the same LOCK).
        Assert.Equal(Nlm4Status.Blocked, nlmC.Lock(fhB, svid: 3, offset: 0, length: 10, block: true, cookie: "wait-c"));
        Assert.Equal(Nlm4Status.Granted, nlmC.Cancel(fhB, svid: 3, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Blocked, nlmB.Lock(fhB, svid: 2, offset: 100, length: 0, block: true, cookie: "wait-b"));
        Assert.Equal(Nlm4Status.Blocked, nlmB.Lock(fhB, svid: 2, offset: 100, length: 0, block: true, cookie: "wait-b"));
        while (clientHost.Calls.TryTake(out _)) { }

        Assert.Equal(Nlm4Status.Granted, nlmA.Unlock(fhA, svid: 1));
        // The first NLM_GRANTED is B's: the cancelled request, ahead of it in the queue, was not granted.
        byte[]? granted = clientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.Granted, CallbackWait);
        Assert.NotNull(granted);
        var reader = new DittoFs.Xdr.XdrReader(granted);
        Nlm4TestArgs args = Nlm4TestArgs.Decode(ref reader);
        Assert.Equal(("wait-b", true, 2, "2@host-b", 100ul, 0ul),
            (Encoding.UTF8.GetString(args.Cookie.Span), args.Exclusive, args.Lock.Svid, Encoding.UTF8.GetString(args.Lock.Oh.Span), args.Lock.Offset, args.Lock.Length));
        Assert.Equal(fhB, args.Lock.Fh.ToArray());

        // B's client holds it in the database: through A it is denied and TEST reports it; C's range is free.
        Assert.Equal(Nlm4Status.Denied, nlmA.Lock(fhA, svid: 4, offset: 150, length: 1));
        AssertHolder(nlmA.Test(fhA, svid: 4, offset: 150, length: 1), exclusive: true, "2@host-b", 100, 0);
        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 5, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, nlmB.Lock(fhB, svid: 2, offset: 100, length: 0, block: true)); // its poll: it has it
    }

    [PostgresFact]
    public void ABlockedNlmLockThatALocalUnlockFrees_WaitsStillForAnotherServersLock()
    {
        using var clientHost = new FakeClientHost();
        (ServerProcess a, ServerProcess b) = StartTwo(CallbacksTo(clientHost));
        byte[] fhA = NewV3File(a, "nlm-two-ways"), fhB = V3Handle(b, "nlm-two-ways");
        using var nlmA = new NlmTestClient(a.NfsPort, "host-a");
        using var nlmX = new NlmTestClient(b.NfsPort, "host-x");
        using var nlmY = new NlmTestClient(b.NfsPort, "host-y");

        // Readers through both servers; a writer through B waits for both.
        Assert.Equal(Nlm4Status.Granted, nlmA.Lock(fhA, svid: 1, offset: 0, length: 100, exclusive: false));
        Assert.Equal(Nlm4Status.Granted, nlmX.Lock(fhB, svid: 2, offset: 0, length: 100, exclusive: false));
        Assert.Equal(Nlm4Status.Blocked, nlmY.Lock(fhB, svid: 3, offset: 0, length: 100, block: true, cookie: "wait-y"));
        while (clientHost.Calls.TryTake(out _)) { }

        // B's reader goes: B's queue tries the writer, and the database still refuses it (A's reader). A grant
        // would come within moments of the unlock; none may come at all.
        Assert.Equal(Nlm4Status.Granted, nlmX.Unlock(fhB, svid: 2, offset: 0, length: 100));
        Assert.Null(clientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.Granted, TimeSpan.FromSeconds(3)));
        Assert.Equal(Nlm4Status.Granted, nlmA.Test(fhA, svid: 9, offset: 0, length: 100, exclusive: false).Reply.Status); // no writer anywhere

        // A's reader goes too: the writer is granted, told with NLM_GRANTED, and A's clients see it.
        Assert.Equal(Nlm4Status.Granted, nlmA.Unlock(fhA, svid: 1, offset: 0, length: 100));
        byte[]? granted = clientHost.WaitFor(NlmTestClient.NlmProgram, (uint)NlmProcedure.Granted, CallbackWait);
        Assert.NotNull(granted);
        var reader = new DittoFs.Xdr.XdrReader(granted);
        Assert.Equal("wait-y", Encoding.UTF8.GetString(Nlm4TestArgs.Decode(ref reader).Cookie.Span));
        AssertHolder(nlmA.Test(fhA, svid: 9, offset: 0, length: 1, exclusive: false), exclusive: true, "3@host-y", 0, 100);
    }

    [PostgresFact]
    public void ADatabaseThatDoesNotAnswerInTime_MakesNlmLockAnswerDeniedNoLocks_AndTheServerKeepsServing()
    {
        _connectionString = PostgresServer.Shared.CreateDatabase();
        ServerProcess a = Start(lockTimeoutSeconds: 1);
        byte[] fh = NewV3File(a, "nlm-slow");
        using var nlm = new NlmTestClient(a.NfsPort, "host-slow");

        // Another session holds the lock tables (a database stuck on them): LOCK and TEST wait at most the timeout.
        using var blocker = new NpgsqlConnection(_connectionString);
        blocker.Open();
        NpgsqlTransaction tx = blocker.BeginTransaction();
        using (var hold = new NpgsqlCommand("LOCK TABLE range_locks, share_reservations IN ACCESS EXCLUSIVE MODE", blocker, tx)) hold.ExecuteNonQuery();
        Assert.Equal(Nlm4Status.DeniedNoLocks, nlm.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.DeniedNoLocks, nlm.Lock(fh, svid: 1, offset: 0, length: 10, block: true)); // not queued either
        Assert.Equal(Nlm4Status.DeniedNoLocks, nlm.Test(fh, svid: 2, offset: 0, length: 10).Reply.Status);
        // The server keeps serving meanwhile: NFSv3 on another connection, NLM on this one.
        using (var v3 = new Nfs3Client(a.NfsPort)) Assert.Equal(Nfs3Status.Ok, v3.GetAttr(fh).Status);
        Assert.Equal(Nlm4Status.Granted, nlm.Unlock(fh, svid: 1, offset: 0, length: 10));
        tx.Rollback();

        // The client tries again later: granted now, nothing was half done (no other owner holds or waits for the range).
        Assert.Equal(Nlm4Status.Granted, nlm.Lock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, nlm.Unlock(fh, svid: 1, offset: 0, length: 10));
        Assert.Equal(Nlm4Status.Granted, nlm.Lock(fh, svid: 2, offset: 0, length: 10));
    }
}
