#!/bin/sh
# NFSv3 locks through NLM in the guest: rpcbind and rpc.statd (copied in with --bin) must run before a mount
# with `lock`, so the export is mounted again on /tmp/lk. A holder takes flock -x (NLM LOCK of the whole file),
# a second flock -n of another process must fail, and succeed once the holder is done.
ip link set lo up
mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /run/rpcbind
[ -e /var/run ] || ln -s /run /var/run
grep -q _rpc /etc/passwd 2>/dev/null || echo "_rpc:x:100:65534::/run/rpcbind:/bin/false" >> /etc/passwd
echo "127.0.0.1 localhost" > /etc/hosts
rpcbind -f -w & sleep 1
rpc.statd -F --no-notify & sleep 1
mkdir -p /tmp/lk
mount -t nfs -o "vers=3,proto=tcp,port=$NFS_PORT,mountport=$MOUNT_PORT,mountproto=tcp,mountvers=3,lock" "$NFS_SERVER:$NFS_EXPORT" /tmp/lk \
    && echo "PASS mount-with-lock" || { echo "FAIL mount-with-lock"; exit 1; }
cd /tmp/lk
echo data > nlm-file
flock -x nlm-file -c true && echo "PASS flock-uncontended" || echo "FAIL flock-uncontended"
flock -x nlm-file -c "sleep 6" &
sleep 2
flock -n -x nlm-file -c true && echo "FAIL flock-conflict" || echo "PASS flock-conflict"
wait
flock -n -x nlm-file -c true && echo "PASS flock-after-release" || echo "FAIL flock-after-release"
