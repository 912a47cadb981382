#!/bin/sh
# Two DittoFs servers on one database and one bucket, one kernel client on each (ROLE=a on server A,
# ROLE=b on server B, started together, mounted with lookupcache=none,actimeo=0 so each sees the other's
# names at once). A writes two/from-a (3 MB and a tail: many 64 KiB blocks), fsyncs and closes it, and
# publishes its md5 in two/from-a.md5 and two/a-done. B, once a-done shows, reads from-a back (its server
# fetches the blocks from the bucket) and compares md5s, then creates two/from-b (fsynced) and two/b-done.
# A, once b-done shows, must list from-b in two/ and read B's bytes.
set -u
D=two
FAILED=0
wait_for() { i=0; while [ ! -e "$1" ]; do sleep 0.2; i=$((i + 1)); [ $i -gt 1500 ] && return 1; done; return 0; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; FAILED=1; }

case "${ROLE:?ROLE=a or ROLE=b}" in
a)
    mkdir -p "$D"
    dd if=/dev/urandom of=/tmp/from-a bs=1000000 count=3 2>/dev/null
    head -c 4321 /dev/urandom >>/tmp/from-a
    dd if=/tmp/from-a of="$D/from-a" bs=1M conv=fsync 2>/dev/null || fail "a-writes"
    sum=$(md5sum </tmp/from-a | cut -d' ' -f1)
    echo "SUM-A $sum"
    echo "$sum" >"$D/from-a.md5"
    touch "$D/a-done"
    wait_for "$D/b-done" || { echo "FAIL setup: B never finished"; exit 1; }
    if ls "$D" | grep -qx from-b; then pass "a-lists-b-file"; else fail "a-lists-b-file: $(ls "$D" | tr '\n' ' ')"; fi
    got=$(md5sum <"$D/from-b" | cut -d' ' -f1)
    want=$(cat "$D/from-b.md5")
    if [ "$got" = "$want" ]; then pass "a-reads-b-bytes"; else fail "a-reads-b-bytes: $got, want $want"; fi
    ;;
b)
    wait_for "$D/a-done" || { echo "FAIL setup: A never finished"; exit 1; }
    size=$(stat -c %s "$D/from-a")
    if [ "$size" = "3004321" ]; then pass "b-sees-a-size"; else fail "b-sees-a-size: $size"; fi
    got=$(md5sum <"$D/from-a" | cut -d' ' -f1)
    echo "SUM-B $got"
    want=$(cat "$D/from-a.md5")
    if [ "$got" = "$want" ]; then pass "b-reads-a-bytes"; else fail "b-reads-a-bytes: $got, want $want"; fi
    head -c 200000 /dev/urandom >/tmp/from-b
    md5sum </tmp/from-b | cut -d' ' -f1 >"$D/from-b.md5"
    dd if=/tmp/from-b of="$D/from-b" bs=64k conv=fsync 2>/dev/null || fail "b-writes"
    touch "$D/b-done"
    ;;
esac
exit $FAILED
