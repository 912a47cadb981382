#!/bin/sh
# Guest 1 of the two-client lock test (NFSv4.1 and 4.0; NFSv3 through NLM: nlm-two-guests.sh): holds a POSIX write lock on
# bytes [0,100) of locks/file (plock, fcntl) and a flock() on locks/ffile until
# guest 2 (lock-contender.sh) creates locks/stop, then releases both and
# creates locks/released. Needs plock and flock in the guest (--bin).
set -u
PLOCK=${PLOCK:-plock}
L=locks
mkdir -p "$L"
echo data >"$L/file"
"$PLOCK" hold "$L/file" w 0 100 "$L/held" "$L/stop" >/tmp/plock.out &
P1=$!
flock -x "$L/ffile" sh -c "touch $L/fheld; while [ ! -e $L/stop ]; do sleep 0.3; done" &
P2=$!
i=0
while [ ! -e "$L/stop" ] && [ $i -lt 1200 ]; do sleep 0.2; i=$((i + 1)); done
wait $P1; r1=$?
wait $P2; r2=$?
cat /tmp/plock.out
FAILED=0
if [ $r1 = 0 ]; then echo "PASS holder-fcntl-lock-unlock"; else echo "FAIL holder-fcntl-lock-unlock: rc=$r1"; FAILED=1; fi
if [ $r2 = 0 ]; then echo "PASS holder-flock"; else echo "FAIL holder-flock: rc=$r2"; FAILED=1; fi
touch "$L/released"
exit $FAILED
