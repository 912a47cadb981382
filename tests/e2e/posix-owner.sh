#!/bin/sh
# POSIX ownership and unlink checks by the real Linux kernel NFS client (issue 15 item 5),
# run as root in the linux-nfs-client guest (the export does not squash root); the
# non-owner steps run as uid/gid 2000 through setpriv, busybox chpst
# or su.
# VERS (env) says which NFS version is mounted: the open-unlinked step needs 4.1
# (over v3 the client renames an open file away instead of removing it).
# Prints PASS/FAIL per step and exits non-zero if any step failed.
set -u
PASSED=0
FAILED=0
D=owner.$$

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1: $2"; }

# Runs a command as uid/gid N: util-linux setpriv, busybox chpst, or su to a user made up for it.
if setpriv --reuid=0 true 2>/dev/null; then
    as() { _u=$1; shift; setpriv --reuid="$_u" --regid="$_u" --clear-groups "$@"; }
elif busybox chpst -u 0:0 true 2>/dev/null; then
    as() { _u=$1; shift; busybox chpst -u "$_u:$_u" "$@"; }
else
    for u in 1000 2000; do
        grep -q "^u$u:" /etc/passwd 2>/dev/null || echo "u$u:x:$u:$u::/tmp:/bin/sh" >>/etc/passwd
        grep -q "^g$u:" /etc/group 2>/dev/null || echo "g$u:x:$u:" >>/etc/group
    done
    as() { _u=$1; shift; su -s /bin/sh "u$_u" -c 'exec "$0" "$@"' "$@"; }
    as 2000 true || { echo "FAIL setup: no way to run as another user ($(busybox --list 2>/dev/null | tr '\n' ' '))"; exit 1; }
fi

mkdir "$D" && chmod 777 "$D" || { echo "FAIL setup: mkdir"; exit 1; }
echo data >"$D/f" && chown 1000:1000 "$D/f" && chmod 666 "$D/f" || { echo "FAIL setup: file"; exit 1; }

if as 2000 chown 1000 "$D/f" 2>/dev/null; then fail chown-to-current-owner-by-stranger "succeeded"; else pass chown-to-current-owner-by-stranger; fi
if as 2000 chgrp 1000 "$D/f" 2>/dev/null; then fail chgrp-to-current-group-by-stranger "succeeded"; else pass chgrp-to-current-group-by-stranger; fi
if as 1000 chown 1000 "$D/f"; then pass chown-to-itself-by-owner; else fail chown-to-itself-by-owner "refused"; fi
# utimensat(UTIME_NOW) needs write access only; explicit times need ownership.
if as 2000 touch "$D/f"; then pass touch-now-by-writer; else fail touch-now-by-writer "refused"; fi
if as 2000 touch -d "2001-01-01 00:00:00" "$D/f" 2>/dev/null; then fail explicit-times-by-writer "succeeded"; else pass explicit-times-by-writer; fi

if [ "${VERS:-}" != 3 ]; then
    echo x >"$D/open"
    exec 3<"$D/open"
    rm "$D/open"
    links=$(stat -L -c %h /proc/$$/fd/3)
    if [ "$links" = 0 ]; then pass fstat-open-unlinked; else fail fstat-open-unlinked "nlink $links; $(ls -a "$D" | tr '\n' ' ')"; fi
    exec 3<&-
fi

rm -rf "$D"
echo "posix-owner: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
