using System.Buffers;
using System.Text;
using DittoFs.Server.Protocol.Mount;
using DittoFs.Server.Protocol.Nfs3;
using DittoFs.Server.Protocol.Nfs4;
using DittoFs.Xdr;

namespace DittoFs.Fuzz;

/// <summary>
/// The seed corpus: real calls (the ones the kernel client and tests/Server.Tests make) encoded with the
/// server's own codecs, with file handles of a real in-memory server. Deterministic: rerunning rewrites the same files.
/// </summary>
public static class Seeds
{
    private const uint Nfs = 100003, Mount = 100005;

    public static void Write(string corpus)
    {
        using var host = new Nfs4Host();
        byte[] root = host.ExportRootHandle;
        var xdr = XdrArgs(root);
        Save(corpus, "xdr-args", xdr.Select(s => (s.Name, (byte[])[(byte)XdrArgsTarget.Selector(s.Name), .. s.Args])));

        // RPC call records (header + arguments), as they reach CallHeaderParser.
        var calls = new List<(string, byte[])>
        {
            ("nfs3-null-authnone", RpcCall(1, Nfs, 3, 0, authSys: false, [])),
            ("nfs3-getattr-authsys", RpcCall(2, Nfs, 3, 1, authSys: true, Arg("GETATTR", xdr))),
            ("nfs3-write-authsys", RpcCall(3, Nfs, 3, 7, authSys: true, Arg("WRITE", xdr)[..256])),
            ("mount-mnt-authsys", RpcCall(4, Mount, 3, 1, authSys: true, Arg("MNT", xdr))),
            ("nfs4-compound-authsys", host.Compound(1, b => b.Op(Nfs4Op.PutRootFh))),
            ("rpcvers-3", Patch(RpcCall(5, Nfs, 3, 0, authSys: false, []), 8, 3)),
            ("reply", [0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        };
        Save(corpus, "rpc-header", calls);

        // The TCP stream: first byte = chunk size the harness hands the assembler (0 = all at once).
        byte[] getattr = calls[1].Item2;
        byte[] mnt = calls[3].Item2;
        Save(corpus, "record",
        [
            ("one-record", [0, .. Mark(getattr, last: true), .. getattr]),
            ("two-records-chunk-7", [7, .. Mark(getattr, true), .. getattr, .. Mark(mnt, true), .. mnt]),
            ("two-fragments-chunk-1", [1, .. Mark(getattr.AsSpan(0, 40).ToArray(), false), .. getattr.AsSpan(0, 40), .. Mark(getattr.AsSpan(40).ToArray(), true), .. getattr.AsSpan(40)]),
            ("empty-last-fragment", [3, .. Mark(mnt, false), .. mnt, 0x80, 0, 0, 0]),
        ]);

        Save(corpus, "nfs4-compound", Nfs4(host, root));
        Save(corpus, "nfs4-ops", Nfs4Ops());
    }

    /// <summary>
    /// nfs4-ops seeds: operation lists only (every argument takes its common case: name "f0", the current
    /// stateid, offset 0, 4 KiB), COMPOUNDs split at null. The fuzzer mutates both the list and the arguments after it.
    /// </summary>
    private static List<(string, byte[])> Nfs4Ops()
    {
        static byte[] Seed(params Nfs4Op?[] ops)
        {
            byte[] selectors = [.. ops.Select(op => op is { } o ? (byte)Array.FindIndex(Nfs4OpsGrammar.Ops, x => x.Op == o) : Nfs4OpsTarget.NextCompound)];
            return [(byte)selectors.Length, .. selectors];
        }
        const Nfs4Op PutRoot = Nfs4Op.PutRootFh, PutFh = Nfs4Op.PutFh, Open = Nfs4Op.Open, Write = Nfs4Op.Write, Read = Nfs4Op.Read, Close = Nfs4Op.Close;
        const Nfs4Op Lock = Nfs4Op.Lock, LockU = Nfs4Op.LockU, LockT = Nfs4Op.LockT, GetFh = Nfs4Op.GetFh, GetAttr = Nfs4Op.GetAttr, SaveFh = Nfs4Op.SaveFh;
        return
        [
            ("open-write-close", Seed(PutFh, Open, Write, GetFh, Close)),
            ("open-then-read-in-next-compound", Seed(PutFh, Open, GetFh, null, PutFh, Read, Nfs4Op.Commit, null, PutFh, Close)),
            ("lock-locku-lockt", Seed(PutFh, Open, Lock, LockT, LockU, Close)),
            ("two-opens-downgrade", Seed(PutFh, Open, null, PutFh, Open, Nfs4Op.OpenDowngrade, null, PutFh, Close, Close)),
            ("setattr-getattr", Seed(PutFh, Open, Nfs4Op.SetAttr, GetAttr, Nfs4Op.Verify, Nfs4Op.NVerify)),
            ("create-readdir-remove", Seed(PutFh, Nfs4Op.Create, GetFh, Nfs4Op.LookupP, Nfs4Op.ReadDir, Nfs4Op.Remove)),
            ("rename-link", Seed(PutFh, Open, Close, PutFh, SaveFh, Nfs4Op.Rename, PutFh, Nfs4Op.Lookup, SaveFh, PutFh, Nfs4Op.Link)),
            ("stateids", Seed(PutFh, Open, null, Nfs4Op.TestStateId, Nfs4Op.FreeStateId, Nfs4Op.DelegReturn)),
            ("destroy-session-then-use", Seed(PutRoot, Nfs4Op.DestroySession, null, PutRoot, GetAttr)),
            ("exchange-id-destroy-clientid", Seed(Nfs4Op.ExchangeId, null, Nfs4Op.DestroyClientId, Nfs4Op.ReclaimComplete)),
            ("sequence-twice-secinfo", Seed(Nfs4Op.Sequence, PutRoot, Nfs4Op.SecInfoNoName, Nfs4Op.Access, Nfs4Op.ReadLink, Nfs4Op.Illegal)),
        ];
    }

    private static byte[] Arg(string name, List<(string Name, byte[] Args)> xdr) => xdr.First(s => s.Name == name).Args;

    private static byte[] Enc<T>(T value) where T : IXdrCodec<T>
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new XdrWriter(output);
        value.Encode(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    private static ReadOnlyMemory<byte> Name(string s) => Encoding.UTF8.GetBytes(s);

    private static List<(string Name, byte[] Args)> XdrArgs(byte[] root)
    {
        var fh = new NfsFh3 { Data = root };
        var mode = new SAttr3 { Mode = new SetUInt32 { Set = true, Value = 0x1a4 }, ATime = new SetTime { Set = TimeHow.SetToServerTime }, MTime = new SetTime { Set = TimeHow.SetToClientTime, Time = new NfsTime3 { Seconds = 1_700_000_000, NSeconds = 5 } } };
        var sized = new SAttr3 { Size = new SetUInt64 { Set = true, Value = 4096 }, Uid = new SetUInt32 { Set = true, Value = 1000 }, Gid = new SetUInt32 { Set = true, Value = 1000 } };
        DirOpArgs3 Where(string n) => new() { Dir = fh, Name = Name(n) };
        byte[] data = new byte[4096];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 31);
        return
        [
            ("GETATTR", Enc(new GetAttr3Args { Object = fh })),
            ("SETATTR", Enc(new SetAttr3Args { Object = fh, NewAttributes = sized, Guard = new SAttrGuard3 { Check = true, ObjCtime = new NfsTime3 { Seconds = 1, NSeconds = 2 } } })),
            ("LOOKUP", Enc(new Lookup3Args { What = Where("file.txt") })),
            ("ACCESS", Enc(new Access3Args { Object = fh, Access = 0x3f })),
            ("READLINK", Enc(new ReadLink3Args { Symlink = fh })),
            ("READ", Enc(new Read3Args { File = fh, Offset = 8192, Count = 131072 })),
            ("WRITE", Enc(new Write3Args { File = fh, Offset = 0, Count = 4096, Stable = StableHow.Unstable, Data = new ReadOnlySequence<byte>(data) })),
            ("CREATE", Enc(new Create3Args { Where = Where("new.txt"), How = new CreateHow3 { Mode = CreateMode3.Guarded, ObjAttributes = mode } })),
            ("MKDIR", Enc(new MkDir3Args { Where = Where("dir"), Attributes = mode })),
            ("SYMLINK", Enc(new Symlink3Args { Where = Where("link"), Symlink = new SymlinkData3 { SymlinkAttributes = mode, SymlinkData = Name("../target/file") } })),
            ("MKNOD", Enc(new MkNod3Args { Where = Where("dev"), What = new MkNodData3 { Type = Ftype3.Chr, Device = new DeviceData3 { DevAttributes = mode, Spec = new SpecData3 { SpecData1 = 1, SpecData2 = 3 } } } })),
            ("REMOVE", Enc(new Remove3Args { Object = Where("file.txt") })),
            ("RENAME", Enc(new Rename3Args { From = Where("a"), To = Where("b") })),
            ("LINK", Enc(new Link3Args { File = fh, Link = Where("hard") })),
            ("READDIR", Enc(new ReadDir3Args { Dir = fh, Cookie = 0, CookieVerf = 0, Count = 4096 })),
            ("READDIRPLUS", Enc(new ReadDirPlus3Args { Dir = fh, Cookie = 12, CookieVerf = 0x0102030405060708, DirCount = 4096, MaxCount = 32768 })),
            ("FSSTAT", Enc(new FsStat3Args { FsRoot = fh })),
            ("FSINFO", Enc(new FsInfo3Args { FsRoot = fh })),
            ("PATHCONF", Enc(new PathConf3Args { Object = fh })),
            ("COMMIT", Enc(new Commit3Args { File = fh, Offset = 0, Count = 0 })),
            ("MNT", Enc(new DirPathArgs { DirPath = "/export" })),
        ];
    }

    private static byte[] RpcCall(uint xid, uint program, uint version, uint procedure, bool authSys, byte[] args)
    {
        var b = new XdrBuilder();
        b.UInt32(xid).UInt32(0).UInt32(2).UInt32(program).UInt32(version).UInt32(procedure);
        if (authSys)
        {
            // Linux: stamp, machine name, uid, gid, supplementary groups.
            b.UInt32(1).Opaque(new XdrBuilder().UInt32(0x5f3e2a1b).String("client.example").UInt32(1000).UInt32(1000).UInt32(3).UInt32(4).UInt32(24).UInt32(27).ToArray());
        }
        else b.UInt32(0).UInt32(0);
        b.UInt32(0).UInt32(0);
        b.Raw(args);
        return b.ToArray();
    }

    private static byte[] Patch(byte[] bytes, int offset, uint value)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offset), value);
        return bytes;
    }

    private static byte[] Mark(byte[] fragment, bool last)
    {
        uint mark = (uint)fragment.Length | (last ? 0x8000_0000u : 0);
        return new XdrBuilder().UInt32(mark).ToArray();
    }

    /// <summary>In-session seeds: mode 0, op count, ops (SEQUENCE added by the harness). Raw seeds: mode 1, COMPOUND4args.</summary>
    private static List<(string, byte[])> Nfs4(Nfs4Host host, byte[] root)
    {
        byte[] Session(int count, Action<XdrBuilder> ops)
        {
            var b = new XdrBuilder();
            b.Raw([0]).UInt32((uint)count);
            ops(b);
            return b.ToArray();
        }
        byte[] Raw(uint minor, int count, Action<XdrBuilder> ops)
        {
            var b = new XdrBuilder();
            b.Raw([1]).String("fuzz").UInt32(minor).UInt32((uint)count);
            ops(b);
            return b.ToArray();
        }
        byte[] data = new byte[4096];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
        byte[] cur = Nfs4Args.CurrentStateid;
        var seeds = new List<(string, byte[])>
        {
            ("putrootfh-getfh-getattr", Session(3, b => b.Op(Nfs4Op.PutRootFh).Op(Nfs4Op.GetFh).GetAttr())),
            ("lookup-export", Session(4, b => b.Op(Nfs4Op.PutRootFh).Lookup("export").Op(Nfs4Op.GetFh).GetAttr())),
            ("open-create-write-close", Session(5, b =>
            {
                b.PutFh(root).OpenCreate("f1");
                b.Op(Nfs4Op.Write).Stateid(cur).UInt64(0).UInt32(2).Opaque(data);
                b.Op(Nfs4Op.Commit).UInt64(0).UInt32(0);
                b.Op(Nfs4Op.Close).UInt32(0).Stateid(cur);
            })),
            ("open-read-lock", Session(7, b =>
            {
                b.PutFh(root).OpenNoCreate("f1");
                b.Op(Nfs4Op.Read).Stateid(cur).UInt64(0).UInt32(65536);
                b.Op(Nfs4Op.Lock).UInt32(2).Bool(false).UInt64(0).UInt64(100).Bool(true).UInt32(0).Stateid(cur).UInt32(0).UInt64(0).String("lock-owner");
                b.Op(Nfs4Op.LockT).UInt32(2).UInt64(0).UInt64(ulong.MaxValue).UInt64(0).String("other-owner");
                b.Op(Nfs4Op.LockU).UInt32(2).UInt32(0).Stateid(cur).UInt64(0).UInt64(100);
                b.Op(Nfs4Op.OpenDowngrade).Stateid(Nfs4Args.AnonymousStateid).UInt32(0).UInt32(1).UInt32(0);
            })),
            ("readdir", Session(2, b => b.PutFh(root).Op(Nfs4Op.ReadDir).UInt64(0).UInt64(0).UInt32(8192).UInt32(32768).Bitmap(1, 4, 20, 33))),
            ("create-dir-symlink", Session(6, b =>
            {
                b.PutFh(root).Op(Nfs4Op.SaveFh);
                b.Op(Nfs4Op.Create).UInt32(2).String("d1").Fattr(0x1ed);
                b.Op(Nfs4Op.RestoreFh);
                b.Op(Nfs4Op.Create).UInt32(5).String("target").String("l1").Fattr(0x1ff);
                b.Op(Nfs4Op.ReadLink);
            })),
            ("setattr-verify", Session(5, b =>
            {
                b.PutFh(root).Lookup("f1");
                b.Op(Nfs4Op.SetAttr).Stateid(Nfs4Args.AnonymousStateid).Fattr(0x180, 10);
                b.Op(Nfs4Op.Verify).Fattr(0x180, 10);
                b.Op(Nfs4Op.NVerify).Fattr(0x1a4);
            })),
            ("rename-link-remove", Session(9, b =>
            {
                b.PutFh(root).Op(Nfs4Op.SaveFh).Op(Nfs4Op.RestoreFh);
                b.Op(Nfs4Op.Rename).String("f1").String("f2");
                b.Lookup("f2").Op(Nfs4Op.SaveFh).PutFh(root);
                b.Op(Nfs4Op.Link).String("f3");
                b.Op(Nfs4Op.Remove).String("f3");
            })),
            ("secinfo-lookupp-access", Session(6, b =>
            {
                b.PutFh(root).Op(Nfs4Op.SecInfo).String("f2");
                b.PutFh(root).Op(Nfs4Op.SecInfoNoName).UInt32(0);
                b.Op(Nfs4Op.LookupP);
                b.Op(Nfs4Op.Access).UInt32(0x3f);
            })),
            ("stateids", Session(4, b =>
            {
                b.Op(Nfs4Op.TestStateId).UInt32(2).Stateid(cur).Stateid(Nfs4Args.AnonymousStateid);
                b.Op(Nfs4Op.FreeStateId).Stateid(Nfs4Args.AnonymousStateid);
                b.Op(Nfs4Op.ReclaimComplete).Bool(false);
                b.Op(Nfs4Op.DelegReturn).Stateid(Nfs4Args.AnonymousStateid);
            })),
            ("open-exclusive4-1", Session(2, b =>
            {
                b.PutFh(root);
                b.Op(Nfs4Op.Open).UInt32(0).UInt32(2).UInt32(0).UInt64(0).String("o3");
                b.UInt32(Nfs4Const.OpenCreate).UInt32(Nfs4Const.Exclusive4_1).UInt64(0xfeed).Fattr(0x1a4);
                b.UInt32(Nfs4Const.ClaimNull).String("x1");
            })),
            ("backchannel-ctl-illegal", Session(2, b =>
            {
                b.Op(Nfs4Op.BackchannelCtl).UInt32(0x40000000).UInt32(1).UInt32(0);
                b.UInt32(10044);
            })),
            ("raw-exchange-id", Raw(1, 1, b => Nfs4Args.ExchangeId(b, "raw-client"))),
            ("raw-create-session", Raw(1, 1, b => Nfs4Args.CreateSession(b, 0x1234, 1))),
            ("raw-destroy-session", Raw(1, 1, b => b.Op(Nfs4Op.DestroySession).Raw(new byte[16]))),
            ("raw-bind-conn", Raw(1, 1, b => b.Op(Nfs4Op.BindConnToSession).Raw(new byte[16]).UInt32(3).Bool(false))),
            ("raw-destroy-clientid", Raw(1, 1, b => b.Op(Nfs4Op.DestroyClientId).UInt64(77))),
            ("raw-minor-0", Raw(0, 1, b => b.Op(Nfs4Op.PutRootFh))),
            ("raw-sequence-stale", Raw(1, 2, b => { Nfs4Args.Sequence(b, new byte[16], 1); b.Op(Nfs4Op.PutRootFh); })),
        };
        return seeds;
    }

    private static void Save(string corpus, string target, IEnumerable<(string Name, byte[] Bytes)> seeds)
    {
        string dir = Path.Combine(corpus, target);
        Directory.CreateDirectory(dir);
        foreach ((string name, byte[] bytes) in seeds) File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }
}
