#!/usr/bin/env bash
# A full disk under the data root (a 48 MB tmpfs the test mounts and fills): docker create, run,
# import, load and start fail with one clear line naming the cause; a logging container keeps
# running and its log keeps every line written before the disk filled; berthd stays up and
# nothing stored is damaged. What frees space works on the full disk (issue 18): rm -f of the
# container that filled it, rmi, image/container/system prune, stop (kept across a restart),
# thanks to the database's space reserve, which is made again once there is room. Once space is
# freed, everything works again without a restart.
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
docker run -d --name keeper --restart always busybox sleep 1000 >/dev/null
docker run --name done1 busybox true >/dev/null
# An image to load while the disk is full: saved, then deleted (its files go with it).
tar -C "$TMP/busybox-rootfs" -c . >"$TMP/rootfs.tar"
mkdir -p "$TMP/other/etc"
echo other >"$TMP/other/etc/other"
tar -C "$TMP/other" -rf "$TMP/rootfs.tar" ./etc/other
docker import --change 'CMD ["sh"]' - other:1 <"$TMP/rootfs.tar" >/dev/null
docker save other:1 -o "$TMP/other.tar"
docker rmi other:1 >/dev/null
# An image to rmi and a dangling one to prune on the full disk.
docker import - spare:1 <"$TMP/rootfs.tar" >/dev/null
echo dangling >"$TMP/other/etc/other"
tar -C "$TMP/busybox-rootfs" -c . >"$TMP/dangling.tar"
tar -C "$TMP/other" -rf "$TMP/dangling.tar" ./etc/other
docker import - <"$TMP/dangling.tar" >/dev/null
logged_lines() { docker logs logger 2>/dev/null | wc -l; }
has_logged() { [ "$(logged_lines)" -ge "$1" ]; }
check "the logger logs" wait_until 30 has_logged 20

reserve="$DATA_ROOT/metadata.db-reserve"
check "berthd keeps a space reserve beside its database" test -f "$reserve"
# (The logger's writer cuts off what a failed write took, so a page may come and go.)
avail() { df --output=avail -B1 "$DATA_ROOT" | tail -1 | tr -d ' '; }
is_full() { [ "$(avail)" -lt 65536 ]; }
# Fill it: a container writes every byte the file system has left into its own files.
docker run -d --name hog busybox sh -c 'cat /dev/zero >/fill; exec sleep 1000' >/dev/null
check "a container fills the data root" wait_until 60 is_full
# What its writes left (the failed writes of others free pages again): every byte, from the host.
cat /dev/zero >>"$DATA_ROOT/filler" 2>/dev/null

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
check_eq "nothing half-made is listed" "done1 hog keeper logger stored" "$(docker ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "no image half-loaded or half-imported" "<none>:<none> busybox:latest spare:1" \
	"$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "the stored container's log is intact" "stored line" "$(docker logs stored 2>&1)"

# What frees space works on the full disk.
out=$(docker rm -f hog 2>&1)
check_eq "rm -f of the container that filled the disk succeeds" "0:hog" "$?:$out"
check_fails "and it is gone" docker inspect hog
has_room() { [ "$(avail)" -gt $((8 << 20)) ]; }
check "its files are freed" wait_until 30 has_room
check "the space reserve is made again once there is room" wait_until 30 test -f "$reserve"

# fill_disk WHAT: fill what is left of the data root from the host.
fill_disk() {
	cat /dev/zero >>"$DATA_ROOT/filler" 2>/dev/null
	check "$1: the data root is full ($(avail) bytes free)" is_full
}
# make_room WHAT: free the host's filler; berthd's next write makes the reserve again.
make_room() {
	rm -f "$DATA_ROOT/filler"
	docker rm "$(docker create busybox true)" >/dev/null
	check "$1: the space reserve is back" wait_until 30 test -f "$reserve"
}

fill_disk "rmi"
out=$(docker rmi spare:1 2>&1)
check_eq "rmi on a full disk succeeds" "0" "$?"
check_contains "rmi: untagged" "Untagged: spare:1" "$out"
check_fails "rmi: the image is gone" docker image inspect spare:1
make_room "rmi"

fill_disk "image prune"
out=$(docker image prune -f 2>&1)
check_eq "image prune on a full disk succeeds" "0" "$?"
check_contains "image prune: deletes the dangling image" "deleted: sha256:" "$out"
check_eq "image prune: no dangling image left" "" "$(docker images -q -f dangling=true)"
make_room "image prune"

fill_disk "rm -f"
out=$(docker rm -f stored 2>&1)
check_eq "rm -f on a full disk succeeds" "0:stored" "$?:$out"
check_fails "rm -f: the container is gone" docker inspect stored
make_room "rm -f"

fill_disk "container prune"
out=$(docker container prune -f 2>&1)
check_eq "container prune on a full disk succeeds" "0" "$?"
check_fails "container prune: the stopped container is gone" docker inspect done1
make_room "container prune"

docker run --name done3 busybox true >/dev/null
fill_disk "system prune"
out=$(docker system prune -f 2>&1)
check_eq "system prune on a full disk succeeds" "0" "$?"
check_fails "system prune: the stopped container is gone" docker inspect done3
make_room "system prune"

fill_disk "stop"
out=$(docker stop -t 1 keeper 2>&1)
check_eq "stop on a full disk succeeds" "0:keeper" "$?:$out"
check_eq "stop: the container is stopped" "false" "$(docker inspect -f '{{.State.Running}}' keeper)"
make_room "stop"

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

# The stop on the full disk was kept: the restart policy does not start it again.
stop_berthd TERM
start_berthd
check_eq "after a restart the container stopped on the full disk stays stopped" "exited" \
	"$(docker inspect -f '{{.State.Status}}' keeper)"
check_eq "and nothing left of what was removed on the full disk" "keeper logger new" \
	"$(docker ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
finish
