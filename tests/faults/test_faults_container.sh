#!/usr/bin/env bash
# Fault injection: berthd killed (SIGKILL, by a failpoint: BERTH_FAILPOINT names the step, see
# docs/daemon.md "Failpoints") at each step of create, start, stop and rm, and a monitor killed
# while berthd is down or before it reports an exit. After each, berthd is started again without
# the failpoint and must have put right what the kill left: the acknowledged container running
# since the beginning is still listed and running, every listed container's state agrees with
# the processes on the host, every listed container can be started, stopped and removed, and
# nothing of any container is left (directory, snapshot, monitor or runtime state, mount,
# cgroup, process). A container's snapshot lost while berthd is down leaves it listed dead,
# with rm working. One data root is shared by all points.
source "$(dirname "$0")/../lib.sh"
require_root
# A marker unique to this run in every container's command, to find its processes by.
MARK=$((5200000 + $$ % 100000))
_leftovers_cleanup() {
	pkill -KILL -f "sleep $MARK"
	local id
	sort -u "$TMP/seen" 2>/dev/null | while read -r id; do
		find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "$id" -exec rmdir {} \; 2>/dev/null
	done
	return 0
}
on_exit _leftovers_cleanup
source "$(dirname "$0")/../daemon/berthd_lib.sh"

start_berthd
import_busybox
KEEPER=$(docker run -d --name keeper busybox sleep "$MARK")
touch "$TMP/seen"

# Every container id that has something on disk.
ids_on_disk() {
	local path
	for path in "$DATA_ROOT"/containers/* "$DATA_ROOT"/snapshots/active/* "$EXEC_ROOT"/containers/*; do
		[[ ${path##*/} =~ ^[0-9a-f]{64}$ ]] && echo "${path##*/}"
	done | sort -u
}

# die_at POINT CMD… — berthd restarted with the failpoint POINT, CMD run against it: berthd must
# die of SIGKILL at that point; it is then started again without it.
die_at() {
	local point=$1 rc
	shift
	stop_berthd
	BERTH_FAILPOINT=$point start_berthd
	"$@" >"$TMP/cmd.out" 2>&1
	wait "$BERTHD_PID"
	rc=$?
	check_eq "$point: berthd dies of SIGKILL there" "137 yes" \
		"$rc $(grep -q "berth failpoint $point: SIGKILL" "$TMP/berthd.log" && echo yes)"
	ids_on_disk >>"$TMP/seen"
	LOG_MARK=$(stat -c %s "$TMP/berthd.log")
	start_berthd
}

# repaired POINT TEXT — berthd's log since the last restart says the repair TEXT was made.
repaired() {
	check_contains "$1: the repair is logged" "$2" "$(tail -c +$((LOG_MARK + 1)) "$TMP/berthd.log")"
}

# The processes of this run's containers on the host (each container runs one `sleep $MARK`).
container_procs() { pgrep -f "sleep $MARK" | wc -l; }
running_listed() { docker ps -q | wc -l; }
state_agrees() { [ "$(container_procs)" -eq "$(running_listed)" ]; }

# nothing_left ID — no trace of the container anywhere.
nothing_left() {
	local id=$1
	[ ! -e "$DATA_ROOT/containers/$id" ] && [ ! -e "$DATA_ROOT/snapshots/active/$id" ] &&
		[ ! -e "$EXEC_ROOT/containers/$id" ] && [ ! -e "$EXEC_ROOT/runtime/$id" ] &&
		! grep -q "$id" /proc/self/mountinfo &&
		[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null)" ] &&
		! pgrep -f "berth-monitor (container|exec) $EXEC_ROOT/containers/$id" >/dev/null
}

# after POINT — the checks after the restart that follows a kill at POINT.
after() {
	local point=$1 id bad=() status
	check_eq "$point: the next docker command works, the acknowledged container runs" "running" \
		"$(docker inspect -f '{{.State.Status}}' keeper 2>&1)"
	check "$point: each listed state agrees with the processes ($(container_procs) running, $(running_listed) listed running)" \
		wait_until 10 state_agrees
	for id in $(docker ps -aq --no-trunc); do
		[ "$id" = "$KEEPER" ] && continue
		status=$(docker inspect -f '{{.State.Status}}' "$id")
		if [ "$status" = dead ]; then
			# Files it needs are gone: the error must say which, and rm must work.
			[ -n "$(docker inspect -f '{{.State.Error}}' "$id")" ] || bad+=("dead ${id:0:12} without an error")
			docker rm "$id" >"$TMP/op.out" 2>&1 || bad+=("rm of dead ${id:0:12}: $(cat "$TMP/op.out")")
		elif [ "$status" != running ] && ! docker start "$id" >"$TMP/op.out" 2>&1; then
			bad+=("start of $status ${id:0:12}: $(cat "$TMP/op.out")")
		elif ! docker stop -t 1 "$id" >"$TMP/op.out" 2>&1; then
			bad+=("stop ${id:0:12}: $(cat "$TMP/op.out")")
		elif ! docker rm "$id" >"$TMP/op.out" 2>&1; then
			bad+=("rm ${id:0:12}: $(cat "$TMP/op.out")")
		fi
	done
	check_eq "$point: every listed container can be started, stopped and removed" "" "${bad[*]}"
	bad=()
	while read -r id; do
		wait_until 10 nothing_left "$id" || bad+=("${id:0:12}")
	done < <(sort -u "$TMP/seen" | grep -v "$KEEPER")
	check_eq "$point: nothing is left of the removed containers" "" "${bad[*]}"
	check_eq "$point: no process is left" 1 "$(container_procs)"
}

for point in create.after-dir create.after-snapshot create.after-record-file create.after-record; do
	die_at "$point" docker run -d --name fp busybox sleep "$MARK"
	case $point in
		create.after-dir | create.after-snapshot) repaired "$point" "was left by a create cut short" ;;
		create.after-record-file) repaired "$point" "had no record in metadata.db: recorded again from" ;;
	esac
	after "$point"
done

for point in start.after-mount start.after-runtime-create start.after-record; do
	docker create --name fp busybox sleep "$MARK" >/dev/null
	die_at "$point" docker start fp
	[ "$point" = start.after-runtime-create ] && repaired "$point" "(a start cut short): adopted as running"
	after "$point"
done

for point in stop.after-manual-flag stop.after-signal; do
	docker run -d --name fp busybox sleep "$MARK" >/dev/null
	die_at "$point" docker stop -t 1 fp
	after "$point"
done

for point in rm.after-mark-removing rm.after-snapshot-retire rm.after-dir-move rm.after-record-delete; do
	docker run -d --name fp busybox sleep "$MARK" >/dev/null
	docker run --name fp-exited busybox true
	die_at "$point" docker rm -f fp fp-exited
	after "$point"
done

# A monitor killed while berthd is down: its container is recorded as killed, nothing is left.
docker run -d --name fp busybox sleep "$MARK" >/dev/null
ids_on_disk >>"$TMP/seen"
fp_id=$(docker inspect -f '{{.Id}}' fp)
stop_berthd KILL
pkill -KILL -f "berth-monitor container $EXEC_ROOT/containers/$fp_id"
start_berthd
check_eq "monitor killed while berthd is down: the container is recorded as killed" "exited 137" \
	"$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' fp 2>&1)"
after monitor-killed

# A monitor that dies after recording its container's exit, before telling berthd: the exit
# recorded is the container's own. (A monitor's stderr is /dev/null: its failpoint line is not
# seen; the lost monitor's exit would be 137 or 255, not 3.)
stop_berthd
BERTH_FAILPOINT=monitor.after-exit-record start_berthd
docker run -d --name fp busybox sh -c "exit 3" >/dev/null
ids_on_disk >>"$TMP/seen"
check_eq "monitor.after-exit-record: the container's own exit is recorded" 3 "$(docker wait fp 2>&1)"
after monitor.after-exit-record

# A lost file: a container's snapshot deleted while berthd is down. It is listed dead with an
# error naming what is missing, a start says it cannot be, and rm works.
docker create --name fp busybox sleep "$MARK" >/dev/null
fp_id=$(docker inspect -f '{{.Id}}' fp)
echo "$fp_id" >>"$TMP/seen"
stop_berthd
rm -rf "${DATA_ROOT:?}/snapshots/active/$fp_id"
LOG_MARK=$(stat -c %s "$TMP/berthd.log")
start_berthd
check_eq "a lost snapshot: the container is listed dead, saying what is missing" \
	"dead its file system (snapshot $fp_id) is missing" \
	"$(docker inspect -f '{{.State.Status}} {{.State.Error}}' fp 2>&1)"
repaired "a lost snapshot" "is missing: marked dead, it can only be removed"
check_contains "a lost snapshot: start fails as dockerd's does for a dead container" \
	"container is marked for removal and cannot be started" "$(docker start fp 2>&1)"
after "a lost snapshot"

docker rm -f keeper >/dev/null
check "at the end nothing is left of the acknowledged container" wait_until 10 nothing_left "$KEEPER"
finish
