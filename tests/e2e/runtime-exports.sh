#!/bin/sh
# Exports added and removed at run time while the kernel client (NFSv4.1) has the server's root mounted
# (the pseudo-fs). The test drives the admin API when it reads ADD-NOW / REMOVE-NOW, and answers nothing:
# this script polls (bounded) until it sees the change. PASS/FAIL per step.
cd /mnt || exit 1
fail=0
pass() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }
# wait_for CMD...: up to ~40 s for CMD to succeed
wait_for() { i=0; while ! "$@" >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 80 ] && return 1; sleep 0.5; done; }

[ -d /mnt/export ] && pass configured-export-visible || bad configured-export-visible
[ -e /mnt/live ] && bad live-absent-before-add || pass live-absent-before-add

echo ADD-NOW
wait_for test -d /mnt/live && pass live-appears-in-pseudo-root || bad live-appears-in-pseudo-root
ls /mnt | grep -qx live && pass live-listed || bad live-listed
echo "written at run time" > /mnt/live/f && sync && pass write-into-added-export || bad write-into-added-export
echo 3 > /proc/sys/vm/drop_caches
[ "$(cat /mnt/live/f)" = "written at run time" ] && pass read-back || bad read-back

# Hold the export's directory (cwd) and an open file across the removal.
cd /mnt/live || bad cd-live
exec 3< /mnt/live/f
echo REMOVE-NOW
# The removed export's handles answer NFS4ERR_STALE: the kernel reports ESTALE.
wait_for sh -c '! ls /mnt/live/. 2>/dev/null' && pass old-handle-fails || bad old-handle-fails
err=$(ls . 2>&1); echo "cwd listing: $err"
case "$err" in *"Stale file handle"*) pass cwd-estale ;; *) bad cwd-estale ;; esac
echo 3 > /proc/sys/vm/drop_caches # the read must reach the server, not the page cache
err=$(cat <&3 2>&1; echo "rc=$?"); echo "open file read: $err"
case "$err" in *"Stale file handle"*) pass open-file-estale ;; *) bad open-file-estale ;; esac
exec 3<&-
cd /mnt
wait_for sh -c '! ls /mnt | grep -qx live' && pass live-gone-from-pseudo-root || bad live-gone-from-pseudo-root
[ -d /mnt/export ] && pass configured-export-still-there || bad configured-export-still-there
echo "done: $fail"
exit $fail
