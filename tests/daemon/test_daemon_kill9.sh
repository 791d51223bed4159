#!/usr/bin/env bash
# kill -9 of berthd in the middle of a `docker load` (a 3-layer, 40 MB archive cut off at a
# random point, or sent whole) and of a `docker rm -f` of eight containers (killed at a random
# moment), four rounds each. After each restart: the image is all there (it
# runs, its files whole) or not listed at all, and a retry of the load succeeds; each container
# is all there (startable) or all gone (no directory, snapshot, monitor, mount or runtime state
# left). At the end nothing of the interrupted loads is left in the stores.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

LOAD_ROUNDS=4
RM_ROUNDS=4
start_berthd
import_busybox

# The archive: busybox and two layers of 20 MB of random bytes each.
docker run --name layer1 busybox sh -c 'head -c 20000000 /dev/urandom >/big1' >/dev/null
docker commit layer1 big:step >/dev/null
docker run --name layer2 big:step sh -c 'head -c 20000000 /dev/urandom >/big2' >/dev/null
docker commit layer2 big:1 >/dev/null
docker rm layer1 layer2 >/dev/null
docker save big:1 -o "$TMP/big.tar"
docker rmi big:1 big:step >/dev/null
SIZE=$(stat -c %s "$TMP/big.tar")
check "the archive is large enough to be cut ($SIZE bytes)" test "$SIZE" -gt 40000000
store_bytes() { du -sb "$DATA_ROOT/content" "$DATA_ROOT/snapshots" | awk '{ s += $1 } END { print s }'; }
stored_before=$(store_bytes)
big_is_whole() { [ "$(docker run --rm big:1 sh -c 'cat /big1 /big2 | wc -c' 2>&1)" = 40000000 ]; }

mkfifo "$TMP/hold"
exec 7<>"$TMP/hold" # keeps a cut-off archive's pipe open until berthd is gone
for round in $(seq 1 $LOAD_ROUNDS); do
	# The last round sends all of it: berthd dies while it unpacks and records.
	cut=$SIZE
	[ "$round" -lt "$LOAD_ROUNDS" ] && cut=$((SIZE * (RANDOM % 100) / 100))
	rm -f "$TMP/sent"
	{
		head -c "$cut" "$TMP/big.tar"
		touch "$TMP/sent"
		[ "$cut" -lt "$SIZE" ] && exec cat "$TMP/hold" 7>&-
	} 7>&- | docker load 7>&- >"$TMP/load.out" 2>&1 &
	loader=$!
	wait_until 60 test -e "$TMP/sent"
	stop_berthd KILL
	exec 7>&- # the held pipe ends
	wait "$loader"
	exec 7<>"$TMP/hold"
	start_berthd
	listed=$(docker images -q big:1)
	if [ -n "$listed" ]; then
		check "load round $round (cut at $cut of $SIZE): the image listed is whole" big_is_whole
	else
		check_eq "load round $round (cut at $cut of $SIZE): no image listed, no half one" "" \
			"$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -v '^busybox:latest$')"
	fi
	check_contains "load round $round: a retry succeeds" "Loaded image: big:1" "$(docker load -i "$TMP/big.tar" 2>&1)"
	check "load round $round: the loaded image is whole" big_is_whole
	docker rmi big:1 >/dev/null
done
exec 7>&-
stored_after=$(store_bytes)
check "nothing of the interrupted loads is left in the stores ($stored_before -> $stored_after bytes)" \
	test "$stored_after" -le $((stored_before + 1000000))

# gone_entirely ID — nothing of the container is left anywhere.
gone_entirely() {
	local id=$1
	[ ! -e "$DATA_ROOT/containers/$id" ] && [ ! -e "$EXEC_ROOT/containers/$id" ] &&
		[ ! -e "$DATA_ROOT/snapshots/active/$id" ] &&
		! pgrep -f "berth-monitor container $EXEC_ROOT/containers/$id" >/dev/null &&
		! grep -q "$id" /proc/mounts &&
		[ -z "$(find "$EXEC_ROOT" -maxdepth 3 -name "$id" -path '*runtime*')" ]
}
for round in $(seq 1 $RM_ROUNDS); do
	names=() ids=()
	for i in 1 2 3 4 5 6 7 8; do
		name=rm${round}c$i
		case $((i % 4)) in
			0 | 1) docker run -d --name "$name" busybox sleep 300 >/dev/null ;;
			2) docker run --name "$name" busybox true >/dev/null ;;
			3) docker create --name "$name" busybox true >/dev/null ;;
		esac
		names+=("$name")
		ids+=("$(docker inspect -f '{{.Id}}' "$name")")
	done
	# The eight removals run in parallel and take tens of ms in all, too fast to stop at a
	# state seen from here: the kill comes at a random moment of that window instead. Nothing
	# checked depends on when it lands; each round reports what it hit.
	kill_after_ms=$((RANDOM % 80))
	docker rm -f "${names[@]}" >/dev/null 2>&1 &
	remover=$!
	sleep "$(printf '0.%03d' "$kill_after_ms")"
	stop_berthd KILL
	wait "$remover"
	start_berthd
	there=0 gone=0 bad=()
	for i in "${!names[@]}"; do
		name=${names[$i]} id=${ids[$i]}
		if status=$(docker inspect -f '{{.State.Status}}' "$name" 2>/dev/null); then
			there=$((there + 1))
			case $status in
				running) ;;
				exited | created)
					out=$(docker start "$name" 2>&1) || bad+=("$name: $status, does not start: $out")
					;;
				*) bad+=("$name: $status") ;;
			esac
			[ -d "$DATA_ROOT/containers/$id/rootfs" ] || bad+=("$name: listed without its files")
		else
			gone=$((gone + 1))
			wait_until 20 gone_entirely "$id" || bad+=("$name: gone, but not entirely")
		fi
	done
	check_eq "rm round $round (killed at +${kill_after_ms} ms: $there there, $gone gone): each container all there or all gone" \
		"" "${bad[*]}"
	mapfile -t remaining < <(docker ps -aq)
	[ ${#remaining[@]} -gt 0 ] && docker rm -f "${remaining[@]}" >/dev/null
	for id in "${ids[@]}"; do
		wait_until 20 gone_entirely "$id" || echo "# left behind: $id"
	done
done
check_eq "no monitor is left" "0" "$(pgrep -fc "berth-monitor container $EXEC_ROOT")"
check_eq "no mount is left" "" "$(grep -o " $TMP/[^ ]*" /proc/mounts)"
trash_empty() { [ -z "$(ls -A "$DATA_ROOT/trash")" ] && [ -z "$(ls -A "$EXEC_ROOT/trash")" ]; }
check "the trash is emptied" wait_until 20 trash_empty
finish
