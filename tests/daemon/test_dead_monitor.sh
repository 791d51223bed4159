#!/usr/bin/env bash
# A container's monitor killed with SIGKILL (as the OOM killer would) while berthd runs, and while
# berthd is down: the container is recorded as exited (137: killed, as containerd reports a task
# whose shim died), none of its processes is left, its cgroup and runtime state are gone, and
# `docker start` and `docker rm -f` work on it again. The same with runc as the container's
# runtime (berthd deletes through the binary monitor.json names). A monitor that
# died after its container exited, before reporting the exit, leaves nothing behind either.
source "$(dirname "$0")/../lib.sh"
require_root
# A marker unique to this run in every process of the container, to find leftovers by.
MARK=$((4200000 + $$ % 100000))
# Should a check fail, nothing of the containers may outlive the test (this runs after
# berthd_lib's cleanup has removed the containers berthd knows).
_leftovers_cleanup() {
	pkill -KILL -f "sleep $MARK"
	wait_until 30 no_container_procs
	local id
	[ -f "$TMP/ids" ] && while read -r id; do
		find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "$id" -exec rmdir {} \; 2>/dev/null
	done <"$TMP/ids"
	return 0
}
on_exit _leftovers_cleanup
source "$(dirname "$0")/berthd_lib.sh"

RUNC=$(command -v runc || true)
if [ -n "$RUNC" ]; then
	printf '{"runtimes": {"runc-binary": {"path": "%s"}}}\n' "$RUNC" >"$TMP/daemon.json"
	BERTHD_CONFIG=$TMP/daemon.json
fi
start_berthd
import_busybox

monitor_pid() { # ID
	pgrep -f "berth-monitor container $EXEC_ROOT/containers/$1" | head -n 1
}
# The container's processes on the host: its init and a child it forked.
container_procs() { pgrep -f "sleep $MARK" || true; }
no_container_procs() { [ -z "$(container_procs)" ]; }
two_procs() { [ "$(container_procs | wc -l)" -eq 2 ]; }
cgroup_dirs() { find /sys/fs/cgroup -maxdepth 5 -type d -name "$1" 2>/dev/null || true; }
state_is() { [ "$(docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

run_victim() { # NAME [RUNTIME]
	local runtime=()
	[ -n "${2:-}" ] && runtime=(--runtime "$2")
	docker run -d --name "$1" "${runtime[@]}" busybox sh -c "sleep $MARK & exec sleep $MARK" >>"$TMP/ids"
	wait_until 30 two_procs
}

# Kills the monitor of container $1, checks how the engine records it; $2 names the case.
check_reaped() { # NAME CASE
	local name=$1 what=$2 id
	id=$(docker inspect -f '{{.Id}}' "$name")
	check "$what: the container is recorded as exited" wait_until 20 state_is "$name" exited
	check_eq "$what: exit code 137 (killed)" "137" "$(docker inspect -f '{{.State.ExitCode}}' "$name")"
	check "$what: none of its processes is left" wait_until 30 no_container_procs
	check_eq "$what: its cgroup is gone" "" "$(cgroup_dirs "$id")"
	check_eq "$what: docker ps no longer lists it" "" "$(docker ps -q --filter "id=$id")"
}

# --- while berthd runs -------------------------------------------------------------------------
run_victim victim
check_eq "two processes run in the container" "2" "$(container_procs | wc -l)"
id=$(docker inspect -f '{{.Id}}' victim)
check_ne "the container has a cgroup" "" "$(cgroup_dirs "$id")"
mpid=$(monitor_pid "$id")
check "the container has a monitor" test -n "$mpid"
kill -KILL "$mpid"
check_reaped victim "monitor killed"
check "docker start works again" docker start victim
check "and the container runs again" wait_until 30 two_procs
check "a new monitor watches it" test -n "$(monitor_pid "$id")"
check "docker rm -f" docker rm -f victim
check "docker rm -f leaves no process" wait_until 30 no_container_procs
check_eq "docker rm -f leaves no cgroup" "" "$(cgroup_dirs "$id")"
check_eq "docker rm -f leaves no runtime state" "" "$(ls "$EXEC_ROOT/runtime" 2>/dev/null)"

# --- while berthd is down ----------------------------------------------------------------------
run_victim offline
id=$(docker inspect -f '{{.Id}}' offline)
mpid=$(monitor_pid "$id")
stop_berthd KILL
kill -KILL "$mpid"
check "its monitor is gone" wait_until 30 gone "$mpid"
check_eq "with berthd down, the container's processes still run" "2" "$(container_procs | wc -l)"
start_berthd
check_reaped offline "monitor killed while berthd was down"
check "docker start after the restart" docker start offline
check "docker rm -f after the restart" docker rm -f offline
check "and nothing is left" wait_until 30 no_container_procs

# --- a monitor that died after its container ---------------------------------------------------
# The monitor is stopped, its container exits (killed from the host), then the monitor is
# killed: it never reported the exit, and the runtime's state it had to delete is still there.
docker run -d --name late busybox sh -c "exec sleep $MARK" >>"$TMP/ids"
id=$(docker inspect -f '{{.Id}}' late)
mpid=$(monitor_pid "$id")
kill -STOP "$mpid"
kill -KILL "$(docker inspect -f '{{.State.Pid}}' late)"
check "the container's process is gone" wait_until 30 no_container_procs
check_eq "the stopped monitor has not deleted the runtime's state" "$id" "$(ls "$EXEC_ROOT/runtime")"
kill -KILL "$mpid"
check "the container is recorded as exited" wait_until 20 state_is late exited
check_eq "the runtime's state is gone" "" "$(ls "$EXEC_ROOT/runtime")"
check_eq "its cgroup is gone" "" "$(cgroup_dirs "$id")"
check "docker start works again" docker start late
check "docker rm -f" docker rm -f late

# --- an external runtime (runc) ----------------------------------------------------------------
if [ -n "$RUNC" ]; then
	run_victim external runc-binary
	id=$(docker inspect -f '{{.Id}}' external)
	check_eq "runc lists the container" "$id" "$("$RUNC" --root "$EXEC_ROOT/runtime-runc-binary" list -q)"
	kill -KILL "$(monitor_pid "$id")"
	check_reaped external "runc: monitor killed"
	check_eq "runc: the container is deleted from runc's state" "" \
		"$("$RUNC" --root "$EXEC_ROOT/runtime-runc-binary" list -q)"
	check "runc: docker start works again" docker start external
	check "runc: docker rm -f" docker rm -f external
	check "runc: nothing is left" wait_until 30 no_container_procs
else
	skip "runc: monitor killed" "runc is not installed"
fi

finish
