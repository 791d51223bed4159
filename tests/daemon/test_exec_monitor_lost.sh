#!/usr/bin/env bash
# An exec whose own monitor (`berth-monitor exec`) is killed: as with a container's lost monitor,
# berthd kills the exec's process (it would otherwise run unwatched until its container stops),
# records its exit (exec inspect: Running false, ExitCode 137), publishes exec_die, and an
# attached client's `docker exec` ends with 137. The container itself runs on.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

docker run -d --name host busybox sleep 1000 >/dev/null
START=$(date +%s.%N)

# A number no other test's process has in its command line.
MARK=$((100000 + $$))
exec_monitor_pid() { pgrep -f "berth-monitor exec $EXEC_ROOT/" | head -n1; }
marked_pids() { pgrep -f "^sleep $1\$"; }
no_marked_process() { ! marked_pids "$1" >/dev/null; }
exec_json() { curl -sS --unix-socket "$SOCK" "http://berth/v1.47/exec/$1/json"; }
exec_stopped() { exec_json "$1" | grep -q '"Running":false'; }

# --- detached exec ------------------------------------------------------------------------------
exec_id=$(curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-d "{\"Cmd\": [\"sleep\", \"$MARK\"]}" http://berth/v1.47/containers/host/exec | json_field Id)
curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Detach": true}' \
	"http://berth/v1.47/exec/$exec_id/start" >/dev/null
wait_until 20 marked_pids "$MARK"
monitor=$(exec_monitor_pid)
check "the detached exec runs under its own monitor" test -n "$monitor"
kill -9 "$monitor"
check "the exec's process is killed with its monitor" wait_until 20 no_marked_process "$MARK"
wait_until 20 exec_stopped "$exec_id"
check_eq "exec inspect: not running, exit code 137" "false 137" \
	"$(exec_json "$exec_id" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(str(d["Running"]).lower(), d["ExitCode"])')"
events() {
	docker events --since "$START" --until "$(date +%s.%N)" --filter container=host \
		--filter event=exec_die --format '{{.Actor.Attributes.execID}} {{.Actor.Attributes.exitCode}}'
}
check_contains "exec_die is published with exit code 137" "$exec_id 137" "$(events)"

# --- attached exec ------------------------------------------------------------------------------
MARK2=$((MARK + 1))
docker exec host sleep "$MARK2" &
client=$!
wait_until 20 marked_pids "$MARK2"
kill -9 "$(exec_monitor_pid)"
wait "$client"
check_eq "an attached docker exec whose monitor dies exits 137" 137 $?
check "its process is killed too" wait_until 20 no_marked_process "$MARK2"

# --- the container is unharmed ----------------------------------------------------------------
check_eq "the container still runs" running "$(docker inspect -f '{{.State.Status}}' host)"
check_eq "a new exec runs" "alive" "$(docker exec host echo alive 2>&1)"

finish
