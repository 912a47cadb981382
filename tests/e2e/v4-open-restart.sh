#!/bin/sh
# NFSv4.1 and 4.0 restart test (guest side): a file held open for reading and a file
# held open with a POSIX lock survive a SIGKILL + restart of the server. The
# host kills and restarts the server when this prints KILL-NOW; afterwards the
# client must reclaim its state in the grace period and carry on: read the open
# file's data back, write through the locked fd, unlock cleanly, no EIO/ESTALE.
set -u
PLOCK=${PLOCK:-plock}
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
D=restart.$$
mkdir "$D" || { echo "FAIL setup: mkdir"; exit 1; }
dd if=/dev/urandom of=/tmp/src bs=1024 count=300 2>/dev/null
cp /tmp/src "$D/file" && sync || { echo "FAIL setup: write"; exit 1; }
want=$(sha256sum </tmp/src | cut -d' ' -f1)
exec 3<"$D/file"
"$PLOCK" hold "$D/locked" w 0 100 /tmp/lock.held /tmp/lock.stop >/tmp/plock.out &
PL=$!
i=0; while [ ! -e /tmp/lock.held ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /tmp/lock.held ] && pass lock-before-restart || fail lock-before-restart "$(cat /tmp/plock.out)"
exec 4>>"$D/appended"
echo before >&4
sync
echo "KILL-NOW"
# Idle for longer than a renewal interval (2/3 of the tests' 10 s lease) plus the restart: the client notices the
# restart by itself and reclaims while the script does nothing; what follows then uses the reclaimed state.
sleep "${RESTART_WAIT:-10}"

got=$(sha256sum <&3 | cut -d' ' -f1)
[ "$got" = "$want" ] && pass read-through-open-fd || fail read-through-open-fd "sha256 $got, want $want"
echo 3 >/proc/sys/vm/drop_caches
got=$(sha256sum <"$D/file" | cut -d' ' -f1)
[ "$got" = "$want" ] && pass reread-after-restart || fail reread-after-restart "sha256 $got"
if echo after >&4 && sync; then pass write-through-open-fd; else fail write-through-open-fd "write failed"; fi
[ "$(cat "$D/appended")" = "$(printf 'before\nafter')" ] && pass appended-content || fail appended-content "$(cat "$D/appended" | tr '\n' '|')"
touch /tmp/lock.stop
wait $PL; rc=$?
[ $rc = 0 ] && pass lock-held-across-restart || fail lock-held-across-restart "plock rc=$rc: $(cat /tmp/plock.out)"
echo new >"$D/new" && [ "$(cat "$D/new")" = new ] && pass create-after-restart || fail create-after-restart "create failed"
exec 3<&- 4>&-
rm -rf "$D" && pass cleanup || fail cleanup "rm -rf"
lost=$(dmesg | grep -i -E 'nfs.*(lost .*lock|stale|error)')
[ -z "$lost" ] && pass no-lost-state || fail no-lost-state "$lost"
echo "restart: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
