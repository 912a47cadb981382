#!/bin/sh
# Guest 2 of the two-client lock test (NFSv4.1 and 4.0; NFSv3 through NLM: nlm-two-guests.sh): once guest 1 (lock-holder.sh)
# holds its locks, conflicting fcntl and flock locks must fail, a disjoint
# range must succeed, F_GETLK must see the conflict; after guest 1 releases,
# the same locks must succeed. Prints PASS/FAIL per step.
set -u
PLOCK=${PLOCK:-plock}
L=locks
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
wait_for() { i=0; while [ ! -e "$1" ]; do sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && return 1; done; return 0; }
expect() { # expect NAME RC command...
    name=$1; want=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" = "$want" ]; then pass "$name"; else fail "$name" "rc=$rc want $want: $out"; fi
}

wait_for "$L/held" || { echo "FAIL setup: guest 1 never took its fcntl lock"; exit 1; }
wait_for "$L/fheld" || { echo "FAIL setup: guest 1 never took its flock"; exit 1; }
expect fcntl-write-conflict 1 "$PLOCK" try "$L/file" w 0 10
expect fcntl-read-vs-write-conflict 1 "$PLOCK" try "$L/file" r 50 10
expect fcntl-disjoint-range 0 "$PLOCK" try "$L/file" w 200 10
expect fcntl-getlk-sees-conflict 1 "$PLOCK" test "$L/file" w 0 1
expect flock-conflict 1 flock -n -x "$L/ffile" true
touch "$L/stop"
wait_for "$L/released" || { echo "FAIL setup: guest 1 never released"; exit 1; }
expect fcntl-after-release 0 "$PLOCK" try "$L/file" w 0 100
expect flock-after-release 0 flock -n -x "$L/ffile" true
echo "locks: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
