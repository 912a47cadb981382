#!/bin/sh
# End-to-end checks run by the real Linux kernel NFS client inside the
# linux-nfs-client guest (busybox sh; cwd = the mount). The host test kills
# the server with SIGKILL when this script prints "KILL-NOW" and starts it
# again on the same data; the script then checks that everything it wrote
# and synced is still there, through the same mount (no ESTALE).
#
# Prints PASS/FAIL per step and exits non-zero if any step failed.
set -u
PASSED=0
FAILED=0
D=e2e.$$
# Sizes: a file of several 4 MiB blocks read back before and after the kill, and a directory listed in several
# READDIR replies (64 KiB each) across many pages of directory cookies; more of either proves nothing more and
# costs tens of seconds under emulation.
BIG_MIB=${BIG_MIB:-32}
DIR_ENTRIES=${DIR_ENTRIES:-1000}
SCRATCH=$(mktemp -d /tmp/e2e.XXXXXX)

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }
# Milliseconds since boot (/proc/uptime has centiseconds): each step's time goes to the log.
ms() { read -r up _ </proc/uptime; echo $(( ${up%.*} * 1000 + 1${up#*.} * 10 - 1000 )); }
step() {
    _t0=$(ms); _why=$("$2"); _rc=$?
    echo "TIME $1 $(( $(ms) - _t0 )) ms"
    if [ "$_rc" -eq 0 ]; then pass "$1"; else fail "$1" "${_why:-rc=$_rc}"; fi
}
sum() { sha256sum "$1" | cut -d' ' -f1; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

mkdir "$D" || { echo "FAIL setup: mkdir"; exit 1; }

t_rename_over_existing() {
    echo old >"$D/target" && echo new >"$D/source" || return 1
    ino=$(stat -c %i "$D/source")
    mv "$D/source" "$D/target" || return 1
    drop_caches
    [ ! -e "$D/source" ] || { echo "source still there"; return 1; }
    [ "$(cat "$D/target")" = new ] || { echo "target has '$(cat "$D/target")'"; return 1; }
    [ "$(stat -c %i "$D/target")" = "$ino" ] || { echo "inode changed"; return 1; }
    mkdir -p "$D/da/x" "$D/db" && mv "$D/da/x" "$D/db/y" || return 1
    [ -d "$D/db/y" ] && [ ! -e "$D/da/x" ] || { echo "dir move across dirs"; return 1; }
    [ "$(stat -c %h "$D/da")" = 2 ] || { echo "nlink of da $(stat -c %h "$D/da"), want 2"; return 1; }
    [ "$(stat -c %h "$D/db")" = 3 ] || { echo "nlink of db $(stat -c %h "$D/db"), want 3"; return 1; }
    if mv "$D/db" "$D/db/y/inside" 2>/dev/null; then echo "moved a dir into itself"; return 1; fi
    mkdir "$D/full" && touch "$D/full/f" && mkdir "$D/empty" || return 1
    if mv "$D/empty" "$D/full" 2>/dev/null; then :; fi
    [ -e "$D/full/f" ] || { echo "rename over non-empty dir destroyed it"; return 1; }
}

t_hard_links() {
    echo data >"$D/h1" && ln "$D/h1" "$D/h2" && ln "$D/h1" "$D/h3" || return 1
    drop_caches
    [ "$(stat -c %h "$D/h1")" = 3 ] || { echo "nlink $(stat -c %h "$D/h1"), want 3"; return 1; }
    echo more >>"$D/h2"
    [ "$(cat "$D/h3")" = "$(printf 'data\nmore')" ] || { echo "link content differs"; return 1; }
    rm "$D/h1" "$D/h2" || return 1
    [ "$(stat -c %h "$D/h3")" = 1 ] || { echo "nlink after rm $(stat -c %h "$D/h3")"; return 1; }
    if ln "$D/da" "$D/dirlink" 2>/dev/null; then echo "hard link to a directory succeeded"; return 1; fi
    return 0
}

t_symlinks() {
    ln -s h3 "$D/s1" && ln -s "../$D/h3" "$D/s2" && ln -s /etc/passwd "$D/abs" || return 1
    drop_caches
    [ "$(readlink "$D/s1")" = h3 ] && [ "$(readlink "$D/abs")" = /etc/passwd ] || { echo "readlink"; return 1; }
    [ "$(cat "$D/s2")" = "$(cat "$D/h3")" ] || { echo "read through relative link"; return 1; }
    [ "$(stat -c %F "$D/s1")" = "symbolic link" ] || { echo "type $(stat -c %F "$D/s1")"; return 1; }
    long=$(head -c 1000 /dev/zero | tr '\0' 'x')
    ln -s "$long" "$D/longlink" || return 1
    [ "$(readlink "$D/longlink")" = "$long" ] || { echo "1000-byte target"; return 1; }
}

t_chmod_chown_utimes() {
    echo x >"$D/perm" || return 1
    chmod 4751 "$D/perm" && chown 1234:5678 "$D/perm" || return 1
    drop_caches
    st=$(stat -c '%a %u %g' "$D/perm")
    # chown by root clears setuid (POSIX / Linux kill_suid): 4751 -> 751
    [ "$st" = "751 1234 5678" ] || [ "$st" = "4751 1234 5678" ] || { echo "stat $st"; return 1; }
    chmod 0640 "$D/perm" || return 1
    [ "$(stat -c %a "$D/perm")" = 640 ] || { echo "mode $(stat -c %a "$D/perm")"; return 1; }
    touch -d '2001-02-03 04:05:06' "$D/perm" || return 1
    drop_caches
    [ "$(stat -c %Y "$D/perm")" = "$(date -d '2001-02-03 04:05:06' +%s)" ] || { echo "mtime $(stat -c %Y "$D/perm")"; return 1; }
    [ "$(stat -c %X "$D/perm")" = "$(date -d '2001-02-03 04:05:06' +%s)" ] || { echo "atime $(stat -c %X "$D/perm")"; return 1; }
    mkdir "$D/sticky" && chmod 1777 "$D/sticky" || return 1
    [ "$(stat -c %a "$D/sticky")" = 1777 ] || { echo "sticky mode $(stat -c %a "$D/sticky")"; return 1; }
}

t_big_file() {
    dd if=/dev/urandom of="$SCRATCH/big" bs=1048576 count="$BIG_MIB" 2>/dev/null || return 1
    sum "$SCRATCH/big" >"$SCRATCH/big.sum"
    dd if="$SCRATCH/big" of="$D/big" bs=1048576 conv=fsync 2>/dev/null || return 1
    rm -f "$SCRATCH/big"
    drop_caches
    [ "$(stat -c %s "$D/big")" = $((BIG_MIB * 1048576)) ] || { echo "size $(stat -c %s "$D/big")"; return 1; }
    [ "$(sum "$D/big")" = "$(cat "$SCRATCH/big.sum")" ] || { echo "checksum differs"; return 1; }
}

t_big_directory() {
    mkdir "$D/many" || return 1
    ( cd "$D/many" && seq 1 "$DIR_ENTRIES" | xargs touch ) || return 1
    drop_caches
    n=$(ls "$D/many" | wc -l)
    [ "$n" = "$DIR_ENTRIES" ] || { echo "ls shows $n, want $DIR_ENTRIES"; return 1; }
    n=$(ls -a "$D/many" | sort -n | uniq | grep -c '^[0-9]*$')
    [ "$n" = "$DIR_ENTRIES" ] || { echo "unique entries $n"; return 1; }
    [ "$(ls "$D/many" | sort -n | head -1)" = 1 ] && [ "$(ls "$D/many" | sort -n | tail -1)" = "$DIR_ENTRIES" ] || { echo "first/last entry"; return 1; }
    rm "$D/many/17" "$D/many/$((DIR_ENTRIES - 1))" || return 1
    n=$(ls "$D/many" | wc -l)
    [ "$n" = $((DIR_ENTRIES - 2)) ] || { echo "after rm: $n"; return 1; }
}

t_errors() {
    if mkdir "$D/h3" 2>/dev/null; then echo "mkdir over a file"; return 1; fi
    if rmdir "$D/db" 2>/dev/null; then echo "rmdir non-empty"; return 1; fi
    if cat "$D/nope" 2>/dev/null; then echo "read of missing file"; return 1; fi
    name=$(head -c 256 /dev/zero | tr '\0' 'n')
    if touch "$D/$name" 2>/dev/null; then echo "256-byte name accepted"; return 1; fi
    name=$(head -c 255 /dev/zero | tr '\0' 'n')
    touch "$D/$name" || { echo "255-byte name refused"; return 1; }
}

step rename-over-existing t_rename_over_existing
step hard-links t_hard_links
step symlinks t_symlinks
step chmod-chown-utimes t_chmod_chown_utimes
step "big-file-${BIG_MIB}MiB" t_big_file
step "directory-${DIR_ENTRIES}" t_big_directory
step errors t_errors

# Restart: remember what we have, sync, let the host SIGKILL + restart the server.
sum "$D/h3" >"$SCRATCH/h3.sum"
ls -la "$D" | awk '{print $1, $2, $5, $NF}' | sort >"$SCRATCH/before.ls"
sync
echo "KILL-NOW"
# Time for the restart (the host's Start returns once storage has recovered); were the server still away, the hard
# mount would wait for it.
sleep "${RESTART_WAIT:-5}"

t_after_restart() {
    # Same mount, same cached handles: any ESTALE/EIO fails here.
    _a=$(ms)
    [ "$(sum "$D/h3")" = "$(cat "$SCRATCH/h3.sum")" ] || { echo "h3 differs"; return 1; }
    echo "TIME first-read-after-restart $(( $(ms) - _a )) ms" >&2
    drop_caches
    ls -la "$D" | awk '{print $1, $2, $5, $NF}' | sort >"$SCRATCH/after.ls" || return 1
    diff "$SCRATCH/before.ls" "$SCRATCH/after.ls" >&2 || { echo "listing changed"; return 1; }
    [ "$(sum "$D/big")" = "$(cat "$SCRATCH/big.sum")" ] || { echo "big file differs after restart"; return 1; }
    n=$(ls "$D/many" | wc -l)
    [ "$n" = $((DIR_ENTRIES - 2)) ] || { echo "many has $n after restart"; return 1; }
    [ "$(readlink "$D/s1")" = h3 ] || { echo "symlink lost"; return 1; }
    echo after >"$D/new-after-restart" && [ "$(cat "$D/new-after-restart")" = after ] || { echo "write after restart"; return 1; }
}
step after-sigkill-restart t_after_restart

_t0=$(ms)
rm -rf "$D" || fail cleanup "rm -rf"
echo "TIME cleanup $(( $(ms) - _t0 )) ms"
[ ! -e "$D" ] || fail cleanup "still there"
rm -rf "$SCRATCH"
echo "e2e: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
