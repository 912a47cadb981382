#!/bin/sh
# Guest 2 of the two-client delegation test (NFSv4.1): once guest 1 (deleg-holder.sh) holds deleg/file open
# for reading, overwrites it (the server answers NFS4ERR_DELAY while it recalls guest 1's delegation; the
# kernel retries) and creates deleg/written. Then, once guest 1 holds deleg/wfile open for writing under a write
# delegation with bytes not closed (deleg/wready), stats it (size from guest 1 by CB_GETATTR) and reads it (the
# open recalls the write delegation; guest 1 flushes and returns it), and creates deleg/wseen.
set -u
D=deleg
wait_for() { i=0; while [ ! -e "$1" ]; do sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && return 1; done; return 0; }
wait_for "$D/ready" || { echo "FAIL setup: guest 1 never got ready"; exit 1; }
if echo "new bytes" >"$D/file"; then echo "PASS writer-overwrites"; else echo "FAIL writer-overwrites"; exit 1; fi
touch "$D/written"

wait_for "$D/wready" || { echo "FAIL setup: guest 1 never wrote wfile"; exit 1; }
FAILED=0
size=$(stat -c %s "$D/wfile")
if [ "$size" = "26" ]; then echo "PASS writer-sees-holders-size"; else echo "FAIL writer-sees-holders-size: $size"; FAILED=1; fi
seen=$(cat "$D/wfile")
if [ "$seen" = "written under a delegation" ]; then echo "PASS writer-reads-holders-bytes"; else echo "FAIL writer-reads-holders-bytes: '$seen'"; FAILED=1; fi
touch "$D/wseen"
exit $FAILED
