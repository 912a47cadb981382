#!/bin/sh
# Run by the Linux kernel NFS client in the guest against a server on S3 with a small block cache.
# The host cuts S3 off when it sees "WRITING" and restores it 20 s later: the write must finish
# (the client is told NFS3ERR_JUKEBOX / NFS4ERR_DELAY and retries), with no error.
set -u
BIG_MIB=${BIG_MIB:-64}
echo "WRITING"
sleep 1
start=$(date +%s)
sum=$(dd if=/dev/urandom bs=1048576 count="$BIG_MIB" 2>/dev/null | tee big | sha256sum | cut -d' ' -f1)
sync || { echo "FAIL sync"; exit 1; }
echo "ELAPSED $(( $(date +%s) - start ))"
echo "INODE $(stat -c %i big)"
echo "SUM $sum"
[ "$(stat -c %s big)" = $((BIG_MIB * 1048576)) ] || { echo "FAIL size $(stat -c %s big)"; exit 1; }
echo 3 >/proc/sys/vm/drop_caches
got=$(sha256sum big | cut -d' ' -f1)
if [ "$got" = "$sum" ]; then echo "PASS write-through-outage"; else echo "FAIL write-through-outage: $got"; exit 1; fi

# Garbage: a file uploaded, overwritten (new objects) and deleted; the host checks the bucket at each marker.
dd if=/dev/urandom of=gc bs=1048576 count=8 conv=fsync 2>/dev/null || { echo "FAIL gc write"; exit 1; }
echo "GC-WRITTEN $(stat -c %i gc)"
sleep "${GC_WAIT:-4}"
dd if=/dev/urandom of=gc bs=1048576 count=8 conv=fsync,notrunc 2>/dev/null || { echo "FAIL gc overwrite"; exit 1; }
echo "GC-OVERWRITTEN"
sleep "${GC_WAIT:-4}"
rm gc || { echo "FAIL gc rm"; exit 1; }
echo "GC-DELETED"
