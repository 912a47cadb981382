#!/bin/sh
# Guest 1 of the two-client delegation test (NFSv4.1): writes deleg/file, then opens it for reading and keeps
# it open (the server hands this client a read delegation: with it the client trusts its cache), tells guest 2
# (deleg-writer.sh) through deleg/ready, waits for deleg/written, then reads the file again: guest 2's write
# recalled the delegation, so the new bytes must show.
# Then a write delegation: creates deleg/wfile, opens it again and keeps it open for writing (alone with it: the server hands out a
# write delegation), writes into it without closing, tells guest 2 through deleg/wready and waits for deleg/wseen:
# guest 2's stat (answered by CB_GETATTR to this client) and read (which recalls the delegation) see these bytes.
set -u
D=deleg
FAILED=0
wait_for() { i=0; while [ ! -e "$1" ]; do sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && return 1; done; return 0; }
mkdir -p "$D"
echo "old bytes" >"$D/file"
# Let the CLOSE of that write open reach the server first: a file open for writing gets no read delegation.
sleep 1
exec 3<"$D/file"
first=$(cat "$D/file")
if [ "$first" = "old bytes" ]; then echo "PASS holder-reads-old-bytes"; else echo "FAIL holder-reads-old-bytes: '$first'"; FAILED=1; fi
touch "$D/ready"
wait_for "$D/written" || { echo "FAIL setup: guest 2 never wrote"; exit 1; }
second=$(cat "$D/file")
if [ "$second" = "new bytes" ]; then echo "PASS holder-sees-new-bytes"; else echo "FAIL holder-sees-new-bytes: '$second'"; FAILED=1; fi
exec 3<&-

# The OPEN that creates a file gets no delegation: create it first, then open it for writing again (with O_APPEND).
: >"$D/wfile"
sleep 1
exec 4>>"$D/wfile"
printf 'written under a delegation' >&4
touch "$D/wready"
wait_for "$D/wseen" || { echo "FAIL setup: guest 2 never read wfile"; exit 1; }
exec 4>&-
echo "PASS holder-wrote-under-write-delegation"
exit $FAILED
