#!/usr/bin/env bash
# Health probes of a healthy container all report 0, also when berthd is slow to read: a probe
# such as `true` ends before berthd has read its monitor's first status line, so the exit
# arrives in the same read; it was taken for a lost monitor (ExitCode 255, no output) about one
# probe in three under load.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

PROBES=30
START=$(date +%s.%N)
docker run -d --name probed --health-cmd true --health-interval 100ms busybox sleep 1000 >/dev/null

# Two busy loops make berthd late to read the status pipes, as a loaded machine does. They end
# with the probes (or after 60 s at most).
hogs=()
for _ in 1 2; do
	timeout 60 sh -c 'while :; do :; done' &
	hogs+=($!)
done
on_exit "kill ${hogs[*]}"

probe_exits() {
	docker events --since "$START" --until "$(date +%s.%N)" --filter container=probed \
		--filter event=exec_die --format '{{.Actor.Attributes.exitCode}}'
}
probes_done() { [ "$(probe_exits | wc -l)" -ge "$PROBES" ]; }
wait_until 90 probes_done
kill "${hogs[@]}" 2>/dev/null

exits=$(probe_exits | head -n "$PROBES")
check_eq "$PROBES probes ran" "$PROBES" "$(printf '%s\n' "$exits" | grep -c .)"
check_eq "every probe of a healthy container exited 0" "$PROBES 0" \
	"$(printf '%s\n' "$exits" | sort | uniq -c | awk '{print $1, $2}' | paste -sd' ')"
check_eq "the health log holds only exit code 0" "0 0 0 0 0" \
	"$(docker inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{end}}' probed | xargs)"
check_eq "the container is healthy" "healthy 0" \
	"$(docker inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' probed)"

finish
