#!/bin/sh
# NFSv4.2 server-side copy and clone (guest side), on a server whose payload store is S3 (4 MiB blocks).
# GNUCP: GNU cp (busybox cp has no --reflink and no copy_file_range); SPARSETOOL: copy_file_range.
# Prints PASS/FAIL per step; "REFLINK-BEGIN"/"REFLINK-END" around cp --reflink=always and "COPY-BEGIN"/
# "COPY-END" around the copy_file_range, each followed by a pause in which the host reads the server's
# metrics; "REFLINK-MS n" for the whole cp, "REFLINK-CLONE-MS n" for its CLONE's round trip.
set -u
exec 3>&1 # the markers go to the script's stdout even from inside a step (whose stdout step() captures)
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
step() {
    _t0=$(ms); _why=$("$2"); _rc=$?
    echo "TIME $1 $(( $(ms) - _t0 )) ms"
    if [ "$_rc" -eq 0 ]; then pass "$1"; else fail "$1" "${_why:-rc=$_rc}"; fi
}
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
expect() { [ "$2" = "$3" ] || { echo "$1: got '$2', want '$3'"; return 1; }; }
md5() { md5sum <"$1" | cut -c1-32; }
# Milliseconds since boot (/proc/uptime has centiseconds).
ms() { read -r up _ </proc/uptime; echo $(( ${up%.*} * 1000 + 1${up#*.} * 10 - 1000 )); }
# The reference file with 4 bytes replaced at an offset, as md5.
patched() { { head -c "$2" "$1"; printf %s "$3"; tail -c +$(($2 + 5)) "$1"; } | md5sum | cut -c1-32; }
MIB=${COPY_MIB:-100}
D=v42c.$$
mkdir "$D" || { echo "FAIL setup: mkdir"; exit 1; }
grep -q 'vers=4.2' /proc/mounts || { echo "FAIL setup: not a 4.2 mount: $(grep /mnt /proc/mounts)"; exit 1; }
dd if=/dev/urandom of=/tmp/ref bs=1M count="$MIB" 2>/dev/null
cp /tmp/ref "$D/src" && drop_caches
REF=$(md5 /tmp/ref)
# What the files must read after the 4-byte writes, each computed once (a pass over 100 MiB under emulation).
PATCHED_A=$(patched /tmp/ref 5000000 AAAA)
PATCHED_B=$(patched /tmp/ref 70000000 BBBB)

t_reflink() {
    echo "REFLINK-BEGIN" >&3
    sleep 3
    t0=$(ms)
    "$GNUCP" --reflink=always "$D/src" "$D/clone" || { echo "cp --reflink=always failed"; return 1; }
    t1=$(ms)
    echo "REFLINK-END" >&3
    sleep 3
    # The whole cp (an exec under emulation, the open, the CLONE), and the CLONE's round trip alone
    # (mountstats: ops, transmissions, timeouts, bytes out, bytes in, queue, rtt, execute ms).
    echo "REFLINK-MS $((t1 - t0))" >&3
    echo "REFLINK-CLONE-MS $(grep -E '^[[:space:]]*CLONE:' /proc/self/mountstats | awk '{print $9}')" >&3
    drop_caches
    expect "clone" "$(md5 "$D/clone")" "$REF" || return 1
    # Writes to either side stay on that side (copy-on-write per block).
    printf AAAA | dd of="$D/clone" bs=1 seek=5000000 conv=notrunc 2>/dev/null
    drop_caches
    expect "source after a write to the clone" "$(md5 "$D/src")" "$REF" || return 1
    expect "clone after its write" "$(md5 "$D/clone")" "$PATCHED_A" || return 1
    printf BBBB | dd of="$D/src" bs=1 seek=70000000 conv=notrunc 2>/dev/null
    drop_caches
    expect "clone after a write to the source" "$(md5 "$D/clone")" "$PATCHED_A" || return 1
    expect "source after its write" "$(md5 "$D/src")" "$PATCHED_B" || return 1
}

t_copy_file_range() {
    drop_caches
    echo "COPY-BEGIN" >&3
    sleep 3
    "$SPARSETOOL" copy "$D/src" "$D/copied" || return 1
    sync
    echo "COPY-END" >&3
    sleep 3
    drop_caches
    expect "copy" "$(md5 "$D/copied")" "$PATCHED_B" || return 1
}

t_cp() {
    # GNU cp's default: a clone where it can, else copy_file_range; either way the server copies.
    "$GNUCP" "$D/copied" "$D/cp" || return 1
    drop_caches
    expect "cp" "$(md5 "$D/cp")" "$PATCHED_B" || return 1
}

step reflink t_reflink
step copy-file-range t_copy_file_range
step cp t_cp
grep -E '^[[:space:]]*(COPY|CLONE|WRITE|READ):' /proc/self/mountstats | head -10
rm -rf "$D" /tmp/ref
echo "v42-copy: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
