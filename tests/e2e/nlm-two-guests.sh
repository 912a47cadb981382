#!/bin/sh
# One of two guests contending for NFSv3 locks through NLM: mounts the export over v3 with `lock` on /tmp/lk (beside
# the harness's mount on /mnt) and runs the two-client lock test there as $ROLE (lock-holder.sh or lock-contender.sh,
# the scripts the NFSv4 two-guest test runs). Each guest boots with its own hostname: its lockd's caller_name.
. /e2e/nlm-setup.sh
nlm_mount /tmp/lk "lookupcache=none,actimeo=1" || { echo "FAIL mount-with-lock"; exit 1; }
cd /tmp/lk
sh "/e2e/lock-$ROLE.sh"; rc=$?
cd /
# The kernel may keep the v3 mount busy a moment after the last lock (EBUSY seen); the guest powers off anyway.
umount /tmp/lk 2>/dev/null || umount -l /tmp/lk
exit $rc
