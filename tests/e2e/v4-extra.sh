#!/bin/sh
# NFSv4.1 extras (guest side): special files through CREATE, exclusive create
# (EXCLUSIVE4_1), numeric owners, a directory listing read in many READDIR
# calls, and O_TRUNC/append through OPEN. Prints PASS/FAIL per step.
set -u
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
step() { _why=$("$2"); _rc=$?; if [ "$_rc" -eq 0 ]; then pass "$1"; else fail "$1" "${_why:-rc=$_rc}"; fi; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
D=extra.$$
mkdir "$D" || { echo "FAIL setup: mkdir"; exit 1; }

t_special_files() {
    mkfifo "$D/fifo" || return 1
    mknod "$D/cdev" c 1 3 || return 1
    mknod "$D/bdev" b 7 0 || return 1
    drop_caches
    [ -p "$D/fifo" ] || { echo "fifo type $(stat -c %F "$D/fifo")"; return 1; }
    [ -c "$D/cdev" ] || { echo "cdev type $(stat -c %F "$D/cdev")"; return 1; }
    [ "$(stat -c '%t,%T' "$D/cdev")" = "1,3" ] || { echo "cdev rdev $(stat -c '%t,%T' "$D/cdev")"; return 1; }
    [ -b "$D/bdev" ] || { echo "bdev type $(stat -c %F "$D/bdev")"; return 1; }
}

t_exclusive_create() {
    set -C
    if ! echo one >"$D/excl"; then set +C; echo "first O_EXCL create failed"; return 1; fi
    if echo two >"$D/excl" 2>/dev/null; then set +C; echo "second O_EXCL create succeeded"; return 1; fi
    set +C
    [ "$(cat "$D/excl")" = one ] || { echo "content $(cat "$D/excl")"; return 1; }
    [ "$(stat -c %a "$D/excl")" = "$(printf '%o' $((0666 & ~0$(umask))))" ] || { echo "mode $(stat -c %a "$D/excl") umask $(umask)"; return 1; }
}

t_numeric_owners() {
    touch "$D/own" && chown 4242:4343 "$D/own" || return 1
    drop_caches
    [ "$(stat -c '%u %g' "$D/own")" = "4242 4343" ] || { echo "owner $(stat -c '%u %g' "$D/own")"; return 1; }
    chown 0:0 "$D/own" || return 1
    [ "$(stat -c '%u %g' "$D/own")" = "0 0" ] || { echo "owner back $(stat -c '%u %g' "$D/own")"; return 1; }
}

t_listing_many_calls() {
    mkdir "$D/list" || return 1
    i=0
    while [ $i -lt 600 ]; do : >"$D/list/a-rather-long-file-name-to-fill-readdir-replies-$i"; i=$((i + 1)); done
    drop_caches
    n=$(ls "$D/list" | wc -l)
    [ "$n" = 600 ] || { echo "ls shows $n"; return 1; }
    n=$(ls -l "$D/list" | grep -c '^-')
    [ "$n" = 600 ] || { echo "ls -l shows $n"; return 1; }
    rm -r "$D/list" || return 1
}

t_truncate_and_append() {
    printf 'hello world' >"$D/t" && printf 'bye' >"$D/t" || return 1
    drop_caches
    [ "$(cat "$D/t")" = bye ] || { echo "after O_TRUNC: $(cat "$D/t")"; return 1; }
    printf '!' >>"$D/t"
    drop_caches
    [ "$(cat "$D/t")" = 'bye!' ] || { echo "after append: $(cat "$D/t")"; return 1; }
}

t_read_only_file() {
    echo secret >"$D/ro" && chmod 0444 "$D/ro" || return 1
    [ "$(cat "$D/ro")" = secret ] || return 1
}

step special-files t_special_files
step exclusive-create t_exclusive_create
step numeric-owners t_numeric_owners
step listing-many-readdir-calls t_listing_many_calls
step truncate-and-append t_truncate_and_append
step read-only-file t_read_only_file
rm -rf "$D" || fail cleanup "rm -rf"
echo "extra: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
