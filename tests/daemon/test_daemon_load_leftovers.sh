#!/usr/bin/env bash
# What a killed or failed `docker load` leaves is collected (issue 18). berthd is killed (a
# failpoint: BERTH_FAILPOINT, docs/daemon.md "Failpoints") while it loads a 3-layer image of
# 24 MB at each load step; started again, it deletes the leftovers before serving (one log line
# saying what it freed): the data root's usage is back to what it was before the load, the images
# are intact, and a load of the same archive works. A load that fails for a full disk removes its
# partial files at once. The data root is a 128 MB tmpfs, so that it can be filled.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

mkdir -p "$DATA_ROOT"
mount -t tmpfs -o size=128m,mode=0711 berth-load-leftovers "$DATA_ROOT" || skip_all "cannot mount a tmpfs"
on_exit "_berthd_cleanup; umount -l '$DATA_ROOT'"

start_berthd
import_busybox
# Three layers of 8 MB that do not compress, each from a container committed.
image=busybox
for n in 1 2 3; do
	docker run --name "layer$n" "$image" sh -c "head -c 8000000 /dev/urandom >/data$n" >/dev/null
	docker commit "layer$n" "big:$n" >/dev/null
	docker rm "layer$n" >/dev/null
	image=big:$n
done
docker tag big:3 big:latest
docker save big:latest -o "$TMP/big.tar"
docker rmi big:latest big:3 big:2 big:1 >/dev/null
check "the image archive is large" test "$(stat -c %s "$TMP/big.tar")" -gt 24000000

# Bytes the data root holds, less the database (its WAL grows and shrinks with checkpoints).
usage() { du -s -B1 --exclude='metadata.db*' "$DATA_ROOT" | cut -f1; }
images() { docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort; }
before=$(usage)
images_before=$(images)
# 256 KiB: directory blocks that come and go; a layer left behind is 8 MB.
tolerance=$((256 << 10))
back_to_before() {
	local now
	now=$(usage)
	check "$1: the data root holds what it held before the load ($now bytes, $before before)" \
		test $((now - before)) -le "$tolerance"
}

for point in load.after-blob-write load.after-layer-unpack load.before-image-record; do
	stop_berthd
	BERTH_FAILPOINT=$point start_berthd
	docker load -i "$TMP/big.tar" >"$TMP/load.out" 2>&1
	wait "$BERTHD_PID"
	rc=$?
	check_eq "$point: berthd dies of SIGKILL there" "137 yes" \
		"$rc $(grep -q "berth failpoint $point: SIGKILL" "$TMP/berthd.log" && echo yes)"
	left=$(($(usage) - before))
	mark=$(stat -c %s "$TMP/berthd.log")
	start_berthd
	back_to_before "$point"
	# (The first blob written may be one busybox has already: then nothing is left.)
	if [ "$left" -gt "$tolerance" ]; then
		check_contains "$point: the collection of the $left bytes left is logged" \
			"collected leftovers of interrupted loads" "$(tail -c +$((mark + 1)) "$TMP/berthd.log")"
	fi
	check_eq "$point: the images are as they were" "$images_before" "$(images)"
	check_eq "$point: they still run" "hi" "$(docker run --rm busybox echo hi 2>&1)"
done

# A load on a disk that fills: its partial files go at once, no restart.
avail=$(df --output=avail -B1 "$DATA_ROOT" | tail -1 | tr -d ' ')
head -c $((avail - (12 << 20))) /dev/zero >"$DATA_ROOT/filler"
out=$(docker load -i "$TMP/big.tar" 2>&1)
check_ne "a load on a disk too small fails" "0" "$?"
check_contains "it says why" "no space left on device" "$out"
filler=$(du -s -B1 "$DATA_ROOT/filler" | cut -f1)
before=$((before + filler))
back_to_before "ENOSPC"
rm -f "$DATA_ROOT/filler"
before=$((before - filler))

check_contains "then a load of the same archive works" "Loaded image: big:latest" \
	"$(docker load -i "$TMP/big.tar" 2>&1)"
check_eq "and the image runs, all its layers there" "24000000" \
	"$(docker run --rm big:latest sh -c 'cat /data1 /data2 /data3 | wc -c' 2>&1 | tr -d ' ')"
finish
