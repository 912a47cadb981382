#!/bin/sh
# Guest 2 of the two-client delegation test (NFSv4.1): once guest 1 (deleg-holder.sh) holds deleg/file open
# for reading, overwrites it (the server answers NFS4ERR_DELAY while it recalls guest 1's delegation; the
# kernel retries) and creates deleg/written.
set -u
D=deleg
wait_for() { i=0; while [ ! -e "$1" ]; do sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && return 1; done; return 0; }
wait_for "$D/ready" || { echo "FAIL setup: guest 1 never got ready"; exit 1; }
if echo "new bytes" >"$D/file"; then echo "PASS writer-overwrites"; else echo "FAIL writer-overwrites"; exit 1; fi
touch "$D/written"
