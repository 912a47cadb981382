#!/bin/sh
# Run by the Linux kernel NFS client in the guest (busybox sh; cwd = the mount) against a server
# whose payload store is S3 behind the block cache. Writes BIG_MIB of random data, syncs (COMMIT),
# prints the inode and checksum, asks the host to SIGKILL and restart the server ("KILL-NOW"), then
# reads everything back through the same mount.
set -u
BIG_MIB=${BIG_MIB:-64}
start=$(date +%s)
sum=$(dd if=/dev/urandom bs=1048576 count="$BIG_MIB" 2>/dev/null | tee big | sha256sum | cut -d' ' -f1)
sync
echo "WROTE ${BIG_MIB}MiB in $(( $(date +%s) - start ))s"
echo "INODE $(stat -c %i big)"
echo "SUM $sum"
echo "KILL-NOW"
sleep "${RESTART_WAIT:-5}"
echo 3 >/proc/sys/vm/drop_caches
size=$(stat -c %s big)
[ "$size" = $((BIG_MIB * 1048576)) ] || { echo "FAIL size $size"; exit 1; }
got=$(sha256sum big | cut -d' ' -f1)
if [ "$got" = "$sum" ]; then echo "PASS readback-after-sigkill"; else echo "FAIL readback-after-sigkill: $got"; exit 1; fi
