#!/bin/sh
# NFSv4.2 (guest side): fallocate, punch hole, SEEK_DATA/SEEK_HOLE on a sparse file, READ_PLUS reads,
# extended attributes. The server's payload store has 4 MiB blocks: holes are whole blocks.
# SPARSETOOL (tests/e2e/sparsetool.c) does lseek, punch and the xattr calls busybox lacks.
# Prints PASS/FAIL per step.
set -u
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
step() { _why=$("$2"); _rc=$?; if [ "$_rc" -eq 0 ]; then pass "$1"; else fail "$1" "${_why:-rc=$_rc}"; fi; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
T="$SPARSETOOL"
M=4194304
D=v42.$$
mkdir "$D" || { echo "FAIL setup: mkdir"; exit 1; }
grep -q 'vers=4.2' /proc/mounts || { echo "FAIL setup: not a 4.2 mount: $(grep /mnt /proc/mounts)"; exit 1; }

expect() { # expect WHAT GOT WANT
    [ "$2" = "$3" ] || { echo "$1: got '$2', want '$3'"; return 1; }
}

t_fallocate() {
    fallocate -l $((3 * M)) "$D/alloc" || { echo "fallocate failed"; return 1; }
    drop_caches
    expect size "$(stat -c %s "$D/alloc")" $((3 * M)) || return 1
    expect "seek data in an allocated hole" "$("$T" seek "$D/alloc" 0 data)" ENXIO || return 1
    expect content "$(cmp "$D/alloc" /dev/zero 2>&1 | head -c 3)" "cmp" || return 1
    echo "blocks after fallocate: $(stat -c %b "$D/alloc")" >&2
}

t_punch_hole() {
    dd if=/dev/urandom of="$D/punch" bs=1M count=12 2>/dev/null || return 1
    dd if="$D/punch" of=/tmp/head bs=1M count=4 2>/dev/null
    dd if="$D/punch" of=/tmp/tail bs=1M skip=8 count=4 2>/dev/null
    "$T" punch "$D/punch" $M $M || return 1
    "$T" punch "$D/punch" 100 100 || return 1
    drop_caches
    expect size "$(stat -c %s "$D/punch")" $((3 * M)) || return 1
    expect "first hole" "$("$T" seek "$D/punch" 0 hole)" $M || return 1
    expect "data after the hole" "$("$T" seek "$D/punch" $M data)" $((2 * M)) || return 1
    dd if=/dev/zero of=/tmp/head bs=1 seek=100 count=100 conv=notrunc 2>/dev/null
    expect head "$(dd if="$D/punch" bs=1M count=4 2>/dev/null | md5sum | cut -c1-32)" "$(md5sum </tmp/head | cut -c1-32)" || return 1
    expect hole "$(dd if="$D/punch" bs=1M skip=4 count=4 2>/dev/null | md5sum | cut -c1-32)" "$(dd if=/dev/zero bs=1M count=4 2>/dev/null | md5sum | cut -c1-32)" || return 1
    expect tail "$(dd if="$D/punch" bs=1M skip=8 count=4 2>/dev/null | md5sum | cut -c1-32)" "$(md5sum </tmp/tail | cut -c1-32)" || return 1
    echo "blocks after punch: $(stat -c %b "$D/punch")" >&2
    rm -f /tmp/head /tmp/tail
}

t_sparse_seek() {
    truncate -s $((5 * M)) "$D/sparse" || return 1
    printf hello | dd of="$D/sparse" bs=1 seek=$((2 * M + 10)) conv=notrunc 2>/dev/null || return 1
    drop_caches
    expect size "$(stat -c %s "$D/sparse")" $((5 * M)) || return 1
    expect "SEEK_DATA 0" "$("$T" seek "$D/sparse" 0 data)" $((2 * M)) || return 1
    expect "SEEK_HOLE 0" "$("$T" seek "$D/sparse" 0 hole)" 0 || return 1
    expect "SEEK_HOLE in data" "$("$T" seek "$D/sparse" $((2 * M + 3)) hole)" $((3 * M)) || return 1
    expect "SEEK_DATA after the last data" "$("$T" seek "$D/sparse" $((3 * M)) data)" ENXIO || return 1
    expect "SEEK_DATA past EOF" "$("$T" seek "$D/sparse" $((6 * M)) data)" ENXIO || return 1
    # The whole file through READ_PLUS (holes as segments) equals the same file made locally.
    truncate -s $((5 * M)) /tmp/ref && printf hello | dd of=/tmp/ref bs=1 seek=$((2 * M + 10)) conv=notrunc 2>/dev/null
    expect "whole file" "$(md5sum <"$D/sparse" | cut -c1-32)" "$(md5sum </tmp/ref | cut -c1-32)" || return 1
    rm -f /tmp/ref
}

t_read_back() {
    dd if=/dev/urandom of=/tmp/rnd bs=1M count=3 2>/dev/null
    cp /tmp/rnd "$D/rnd" || return 1
    drop_caches
    expect "random file" "$(md5sum <"$D/rnd" | cut -c1-32)" "$(md5sum </tmp/rnd | cut -c1-32)" || return 1
    rm -f /tmp/rnd
}

t_xattrs() {
    touch "$D/x" || return 1
    expect "set" "$("$T" setx "$D/x" color blue)" OK || return 1
    expect "create again" "$("$T" setx "$D/x" color red create)" EEXIST || return 1
    expect "replace missing" "$("$T" setx "$D/x" shape round replace)" ENODATA || return 1
    expect "set second" "$("$T" setx "$D/x" shape round create)" OK || return 1
    drop_caches
    expect "get" "$("$T" getx "$D/x" color)" blue || return 1
    expect "list" "$("$T" listx "$D/x" | sort | tr '\n' ' ')" "user.color user.shape " || return 1
    expect "remove" "$("$T" rmx "$D/x" color)" OK || return 1
    expect "get removed" "$("$T" getx "$D/x" color)" ENODATA || return 1
    mkdir "$D/xd" && expect "on a directory" "$("$T" setx "$D/xd" k v)" OK || return 1
    expect "directory get" "$("$T" getx "$D/xd" k)" v || return 1
}

# du (st_blocks from space_used) counts the blocks that hold data: it drops after a punch and a truncate,
# and the hole of a file grown by truncate counts nothing.
t_du() {
    dd if=/dev/urandom of="$D/du" bs=1M count=12 2>/dev/null || return 1
    drop_caches
    expect "du of 12 MiB" "$(du -k "$D/du" | cut -f1)" 12288 || return 1
    "$T" punch "$D/du" $M $M || return 1
    drop_caches
    expect "du after punching 4 MiB" "$(du -k "$D/du" | cut -f1)" 8192 || return 1
    truncate -s 2097152 "$D/du" || return 1
    drop_caches
    expect "du after truncating to 2 MiB" "$(du -k "$D/du" | cut -f1)" 2048 || return 1
    truncate -s $((20 * M)) "$D/du" || return 1
    drop_caches
    # Space is counted per payload block, cut at the size: block 0 now counts whole, the 76 MiB hole nothing.
    expect "du after growing to 80 MiB" "$(du -k "$D/du" | cut -f1)" 4096 || return 1
}

step fallocate t_fallocate
step punch-hole t_punch_hole
step sparse-seek t_sparse_seek
step read-back t_read_back
step xattrs t_xattrs
step du t_du
grep -E '^[[:space:]]*(SEEK|READ_PLUS|ALLOCATE|DEALLOCATE|GETXATTR|SETXATTR|LISTXATTRS|REMOVEXATTR|READ):' /proc/self/mountstats | head -20
rm -rf "$D"
echo "v42: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
