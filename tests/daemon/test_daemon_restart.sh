#!/usr/bin/env bash
# kill -9 of berthd while 20 containers run and log: after a restart all 20 are listed and still
# running, their logs have every line (no gap, nothing twice), and containers that exited while
# the daemon was down are recorded with their exit status. Also: SIGTERM leaves containers
# running, and a restarted daemon can stop, exec into and remove them.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox
mkdir -p "$TMP/trigger"

LOGGERS=20
for i in $(seq 1 $LOGGERS); do
	docker run -d --name "logger$i" busybox \
		sh -c 'i=0; while true; do echo "line $i"; i=$((i+1)); usleep 20000; done' >/dev/null
done
for i in 1 2 3; do
	docker run -d --name "quitter$i" -v "$TMP/trigger:/trigger" busybox \
		sh -c "while [ ! -e /trigger/go ]; do usleep 20000; done; exit 4$i" >/dev/null
done
# AutoRemove containers found not running at start-up are removed (as dockerd does): one created
# and never started, one that exits during the outage.
docker create --rm --name rm-created busybox true >/dev/null
docker run -d --rm --name rm-quitter -v "$TMP/trigger:/trigger" busybox \
	sh -c "while [ ! -e /trigger/go ]; do usleep 20000; done; exit 5" >/dev/null
check_eq "24 containers running" "24" "$(docker ps -q | wc -l)"
logged_some() { [ "$(docker logs "logger$LOGGERS" 2>/dev/null | wc -l)" -ge 10 ]; }
wait_until 20 logged_some

zygote_pid=$(pgrep -f "berth-monitor zygote $EXEC_ROOT" || true)
check "berthd forks the monitors from its zygote" test -n "$zygote_pid"
stop_berthd KILL
check "berthd is gone" test ! -e "/proc/$BERTHD_PID"
zygote_gone() { ! kill -0 "$zygote_pid" 2>/dev/null || grep -q '^State:.*Z' "/proc/$zygote_pid/status"; }
check "its monitor zygote ends with it" wait_until 30 zygote_gone
# While the daemon is down: four containers exit, the loggers keep writing.
touch "$TMP/trigger/go"
monitors_left() { [ "$(pgrep -fc "berth-monitor container $EXEC_ROOT")" -eq "$1" ]; }
check "the quitters' monitors record their exits and leave" wait_until 20 monitors_left $LOGGERS

start_berthd
check_eq "after the restart: the 20 loggers are running" "$LOGGERS" "$(docker ps -q | wc -l)"
for i in 1 2 3; do
	check_eq "quitter$i: exit recorded while the daemon was down" "exited 4$i" \
		"$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "quitter$i")"
done
check_eq "docker wait on a container that exited during the outage" "41" "$(docker wait quitter1)"
check_eq "AutoRemove containers not running at start-up are gone" "" \
	"$(docker ps -aq --filter name=rm-created --filter name=rm-quitter)"

# Every line, in order, nothing lost across the outage.
for i in $(seq 1 $LOGGERS); do
	docker stop -t 1 "logger$i" >/dev/null
done
gaps=0
for i in $(seq 1 $LOGGERS); do
	docker logs "logger$i" >"$TMP/log$i" 2>&1
	if ! awk '{ if ($2 != NR - 1) { bad = 1; exit } } END { exit bad }' "$TMP/log$i"; then
		gaps=$((gaps + 1))
		echo "# logger$i: $(wc -l <"$TMP/log$i") lines, first bad line: $(awk '$2 != NR - 1 { print NR": "$0; exit }' "$TMP/log$i")"
	fi
done
check_eq "all 20 logs have every line, in order" "0" "$gaps"
check_match "the logs span the outage (more than 50 lines each)" "^[0-9]{3,}$|^[5-9][0-9]$" \
	"$(wc -l <"$TMP/log1")"

# A clean stop (SIGTERM) leaves running containers alone too.
docker run -d --name survivor busybox sleep 300 >/dev/null
stop_berthd TERM
check "after SIGTERM the container's monitor still runs" pgrep -f "berth-monitor container $EXEC_ROOT"
start_berthd
check_eq "survivor: running after the daemon restart" "running" \
	"$(docker inspect -f '{{.State.Status}}' survivor)"
check_eq "exec into a container adopted after a restart" "ok" "$(docker exec survivor echo ok)"
check "stop of an adopted container" docker stop -t 1 survivor
# A monitor zygote that died is replaced at the next start.
pkill -KILL -f "berth-monitor zygote $EXEC_ROOT"
check_eq "a start after the zygote was killed" "after" "$(docker run --rm busybox echo after)"
check "a new zygote serves it" pgrep -f "berth-monitor zygote $EXEC_ROOT"
# An idle daemon keeps no zygote: it ends 30 s after the last start.
no_zygote() { ! pgrep -f "berth-monitor zygote $EXEC_ROOT" >/dev/null; }
check "the zygote ends once the daemon has been idle for 30 s" wait_until 50 no_zygote
check_eq "and the next start brings one back" "back" "$(docker run --rm busybox echo back)"
check_eq "its exit is recorded" "exited 137" \
	"$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' survivor)"

finish
