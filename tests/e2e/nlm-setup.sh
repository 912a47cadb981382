# Sourced by the NLM guest scripts (copied in as /e2e/nlm-setup.sh): what the guest's kernel lockd needs for an NFSv3
# mount with `lock`. rpcbind and rpc.statd come in with --bin and read /etc/services and /etc/protocols (copied in
# too); lockd asks its statd to monitor the server (SM_MON) before its first lock. nlm_mount DIR [OPTS] mounts the
# export there over v3 with locks.
ip link set lo up
mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak /run/rpcbind
[ -e /var/run ] || ln -s /run /var/run
grep -q _rpc /etc/passwd 2>/dev/null || echo "_rpc:x:100:65534::/run/rpcbind:/bin/false" >> /etc/passwd
echo "127.0.0.1 localhost" > /etc/hosts
rpcbind -f -w & sleep 1
rpc.statd -F --no-notify & sleep 1
nlm_mount() {
    mkdir -p "$1"
    timeout 60 mount -t nfs -o "vers=3,proto=tcp,port=$NFS_PORT,mountport=$MOUNT_PORT,mountproto=tcp,mountvers=3,lock${2:+,$2}" "$NFS_SERVER:$NFS_EXPORT" "$1"
}
