#!/bin/sh
# NFSv3 locks through NLM in the guest, beside the harness's NFSv4.1 mount of the same export on /mnt.
# The v3 mount with `lock` (on /tmp/lk) needs rpcbind and rpc.statd in the guest (copied in with --bin; both read
# /etc/services and /etc/protocols, copied in too): the kernel's lockd asks its statd to monitor the server (SM_MON)
# before its first lock. Two processes of this one guest contend (flock and fcntl), then a v3 lock meets a v4.1 one.
. /e2e/nlm-setup.sh
nlm_mount /tmp/lk \
    && echo "PASS mount-with-lock" || { echo "FAIL mount-with-lock"; exit 1; }
# Every lock call bounded: a lost NLM reply would otherwise hang the guest until the harness timeout.
pl() { timeout 60 "$PLOCK" "$@"; }
check() { if [ "$2" = "$3" ]; then echo "PASS $1"; else echo "FAIL $1: got '$2', want '$3'"; fi; }
# A holder in the background; its marker appears once it has the lock (at most 60 s: a failed lock ends the holder).
hold() {
    rm -f /tmp/held /tmp/stop
    "$PLOCK" hold "$@" /tmp/held /tmp/stop > /tmp/holder.out 2>&1 & holder=$!
    n=0
    while [ ! -e /tmp/held ] && [ $n -lt 300 ] && kill -0 $holder 2>/dev/null; do sleep 0.2; n=$((n + 1)); done
    [ -e /tmp/held ] && echo "PASS hold $*" || { echo "FAIL hold $*: $(cat /tmp/holder.out)"; dmesg | tail -5; }
}
cd /tmp/lk
echo data > nlm-file

# flock: a whole-file NLM lock; a second process of this guest is refused while the first holds it.
timeout 60 flock -x nlm-file -c true && echo "PASS flock-uncontended" || { echo "FAIL flock-uncontended"; dmesg | tail -5; }
timeout 60 flock -x nlm-file -c "sleep 6" & holder=$!
sleep 2
flock -n -x nlm-file -c true && echo "FAIL flock-conflict" || echo "PASS flock-conflict"
wait $holder # not a bare wait: rpcbind and rpc.statd are background jobs too
flock -n -x nlm-file -c true && echo "PASS flock-after-release" || echo "FAIL flock-after-release"

# fcntl over v3: a held write range refuses an overlapping one of another process, not a disjoint one.
hold /tmp/lk/nlm-file w 0 10
check fcntl-v3-overlap "$(pl try /tmp/lk/nlm-file w 5 10 | cut -d' ' -f1)" DENIED
check fcntl-v3-disjoint "$(pl try /tmp/lk/nlm-file w 20 10)" LOCKED
check fcntl-v3-test "$(pl test /tmp/lk/nlm-file r 0 1)" "CONFLICT 0 10"
# The same file through the v4.1 mount: one lock table for both protocols.
check v41-blocked-by-v3 "$(pl try /mnt/nlm-file w 0 10 | cut -d' ' -f1)" DENIED
check v41-test-sees-v3 "$(pl test /mnt/nlm-file w 9 1)" "CONFLICT 0 10"
touch /tmp/stop; wait $holder
check v3-holder "$(tr '\n' ' ' < /tmp/holder.out)" "LOCKED UNLOCKED "
check v41-after-v3-release "$(pl try /mnt/nlm-file w 0 10)" LOCKED

# And the other way: a v4.1 lock refuses a v3 one until it goes.
hold /mnt/nlm-file w 100 1
check v3-blocked-by-v41 "$(pl try /tmp/lk/nlm-file r 0 0 | cut -d' ' -f1)" DENIED
touch /tmp/stop; wait $holder
check v3-after-v41-release "$(pl try /tmp/lk/nlm-file r 0 0)" LOCKED
cd /
# Not a check: the kernel may keep the v3 mount busy a moment after the last lock (EBUSY seen); the guest powers off anyway.
umount /tmp/lk 2>/dev/null || umount -l /tmp/lk
