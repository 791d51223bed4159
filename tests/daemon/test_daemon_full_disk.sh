#!/usr/bin/env bash
# A full disk under the data root (a 48 MB tmpfs the test mounts and fills): docker create, run,
# import, load and start fail with one clear line naming the cause; a logging container keeps
# running and its log keeps every line written before the disk filled; berthd stays up and
# nothing stored is damaged. Once space is freed, everything works again without a restart.
# rm -f on the full disk either succeeds (issue 18) or fails with a clear line and leaves the
# container as it was, files included (it used to move them to trash and lose them at restart).
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

mkdir -p "$DATA_ROOT"
mount -t tmpfs -o size=48m,mode=0711 berth-full-disk "$DATA_ROOT" || skip_all "cannot mount a tmpfs"
# After the daemon's own cleanup (cleanups run last-registered first).
on_exit "_berthd_cleanup; umount -l '$DATA_ROOT'"

start_berthd
import_busybox
docker run --name stored busybox echo "stored line" >/dev/null
docker run -d --name logger busybox \
	sh -c 'i=0; while true; do echo "line $i"; i=$((i+1)); usleep 5000; done' >/dev/null
# An image to load while the disk is full: saved, then deleted (its files go with it).
tar -C "$TMP/busybox-rootfs" -c . >"$TMP/rootfs.tar"
mkdir -p "$TMP/other/etc"
echo other >"$TMP/other/etc/other"
tar -C "$TMP/other" -rf "$TMP/rootfs.tar" ./etc/other
docker import --change 'CMD ["sh"]' - other:1 <"$TMP/rootfs.tar" >/dev/null
docker save other:1 -o "$TMP/other.tar"
docker rmi other:1 >/dev/null
logged_lines() { docker logs logger 2>/dev/null | wc -l; }
has_logged() { [ "$(logged_lines)" -ge "$1" ]; }
check "the logger logs" wait_until 30 has_logged 20

# Fill it: every byte the file system has left.
cat /dev/zero >"$DATA_ROOT/filler" 2>/dev/null
# (The logger's writer cuts off what a failed write took, so a page may come and go.)
avail=$(df --output=avail -B1 "$DATA_ROOT" | tail -1 | tr -d ' ')
check "the data root is full ($avail bytes free)" test "$avail" -lt 65536

# check_full_disk_error NAME OUTPUT — the command failed with the cause in one clear line.
check_full_disk_error() {
	local line
	line=$(grep -m1 -E 'Error|error' <<<"$2")
	check_match "$1: one line naming the cause" "no space left on device" "$line"
	check_not_contains "$1: not a broken connection" "broken pipe" "$2"
	check_not_contains "$1: not a bare EOF" ": EOF" "$2"
}
out=$(docker create --name new busybox true 2>&1)
check_ne "create fails" "0" "$?"
check_full_disk_error "create" "$out"
check_contains "create: the error names the data root" "$DATA_ROOT" "$out"
out=$(docker run --rm busybox echo hi 2>&1)
check_eq "run --rm fails with docker's 125" "125" "$?"
check_full_disk_error "run" "$out"
out=$(docker import - full:import <"$TMP/rootfs.tar" 2>&1)
check_ne "import fails" "0" "$?"
check_full_disk_error "import" "$out"
out=$(docker load -i "$TMP/other.tar" 2>&1)
check_ne "load fails" "0" "$?"
check_full_disk_error "load" "$out"
out=$(docker start -a stored 2>&1)
check_ne "start of a stored container fails" "0" "$?"
check_full_disk_error "start" "$out"

check "berthd is still up" kill -0 "$BERTHD_PID"
check_eq "the logger keeps running" "true" "$(docker inspect -f '{{.State.Running}}' logger)"
full_at=$(logged_lines)
check_eq "nothing half-made is listed" "logger stored" "$(docker ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "no image half-loaded or half-imported" "busybox:latest" \
	"$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "the stored container's log is intact" "stored line" "$(docker logs stored 2>&1)"

# rm -f on a full disk. Issue 18: it should succeed (a removal frees space), as dockerd's does;
# today the record's deletion cannot be written. Until then the check below is off: set
# BERTH_EXPECT_RM_ON_FULL_DISK=1 to turn it on.
state_of_stored() { docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.FinishedAt}}' stored; }
stored_before=$(state_of_stored)
rm_out=$(docker rm -f stored 2>&1)
rm_rc=$?
if [ "${BERTH_EXPECT_RM_ON_FULL_DISK:-0}" = 1 ]; then
	check_eq "rm -f on a full disk succeeds" "0" "$rm_rc"
else
	skip "rm -f on a full disk succeeds" "issue 18 (BERTH_EXPECT_RM_ON_FULL_DISK=1 turns it on)"
fi
if [ $rm_rc -ne 0 ]; then
	check_full_disk_error "rm -f" "$rm_out"
	check_eq "the failed rm leaves the container as it was" "$stored_before" "$(state_of_stored)"
else
	check_fails "rm -f on a full disk removed the container" docker inspect stored
fi

# Room again: everything works, no restart.
rm -f "$DATA_ROOT/filler"
check "create works again" docker create --name new busybox true
check_eq "run works again" "hi" "$(docker run --rm busybox echo hi 2>&1)"
check "import works again" docker import - full:import <"$TMP/rootfs.tar"
check_contains "load works again" "Loaded image: other:1" "$(docker load -i "$TMP/other.tar" 2>&1)"
check_eq "the loaded image runs" "other" "$(docker run --rm other:1 cat /etc/other 2>&1)"
check "all of that without a restart of berthd" kill -0 "$BERTHD_PID"
logs_more() { [ "$(logged_lines)" -gt "$full_at" ]; }
check "the logger's lines reach the log again" wait_until 30 logs_more
docker stop -t 1 logger >/dev/null
# Every line up to the full disk is there, in order, unbroken; then a gap; then lines again.
docker logs logger >"$TMP/logger.log" 2>&1
first_gap=$(awk '$2 != NR - 1 { print NR; exit }' "$TMP/logger.log")
check_match "lines written before the disk filled are all there" "^[0-9]+$" "${first_gap:-none}"
check "they reach the point where the disk filled" test "${first_gap:-0}" -ge 20
check_eq "no torn or foreign line in the log" "" \
	"$(grep -v -E '^line [0-9]+$' "$TMP/logger.log" | head -3)"

# The container a failed rm left: whole, also after a restart (trash is emptied at start).
if [ $rm_rc -ne 0 ]; then
	stop_berthd TERM
	start_berthd
	check_eq "after a restart the container rm failed on still runs" "stored line" \
		"$(docker start -a stored 2>&1)"
	check "and it can be removed now" docker rm stored
fi
finish
