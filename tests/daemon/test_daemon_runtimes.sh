#!/usr/bin/env bash
# docker's --runtime against berthd: daemon.json registers Debian's runc and crun, and the stock
# docker CLI runs containers under each: run --rm (output, exit status, stdio), a detached
# container (ps, logs, exec, top, stats, pause/unpause, stop), run -it and exec -it through a
# pty, restart policy, health check, OOM kill, inspect's HostConfig.Runtime and the runtime's own
# `list` as proof that it ran the container; an unknown runtime (docker's message, exit 125,
# nothing created); docker info; kill -9 of berthd re-adopting a crun container; and
# default-runtime making a plain `docker run` use crun. A runtime whose binary is missing has its
# checks skipped.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

RUNC=$(command -v runc)
CRUN=$(command -v crun)
[ -n "$RUNC$CRUN" ] || skip_all "neither runc nor crun is installed (scripts/install-deps.sh --with-tests)"

# crun (1.8 in Debian 12) refuses hybrid cgroup hosts whose cgroup2 mount holds a controller
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"); this VM's holds
# hugetlb. The daemon then gets Debian's crun through a wrapper that hides those controllers from
# crun alone (an empty cgroup.controllers in a mount namespace of its own); berthd runs it as it
# would run crun itself.
CRUN_PATH=$CRUN
if [ -n "$CRUN" ] && [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] &&
	[ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	mkdir -p "$TMP/bin"
	: >"$TMP/empty"
	cat >"$TMP/bin/crun" <<EOF
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount --bind "$TMP/empty" /sys/fs/cgroup/unified/cgroup.controllers && exec "\$0" "\$@"' "$CRUN" "\$@"
EOF
	chmod +x "$TMP/bin/crun"
	CRUN_PATH=$TMP/bin/crun
	echo "# crun: hybrid cgroups with controllers on cgroup2 ($(cat /sys/fs/cgroup/unified/cgroup.controllers)); crun runs through $CRUN_PATH"
fi

write_config() { # DEFAULT_RUNTIME
	local runtimes=() default=""
	[ -n "$RUNC" ] && runtimes+=("\"runc\": {\"path\": \"$RUNC\"}")
	[ -n "$CRUN" ] && runtimes+=("\"crun\": {\"path\": \"$CRUN_PATH\", \"runtimeArgs\": [\"--cgroup-manager=cgroupfs\"]}")
	[ -n "${1:-}" ] && default=", \"default-runtime\": \"$1\""
	local IFS=,
	printf '{"runtimes": {%s}%s}\n' "${runtimes[*]}" "$default" >"$TMP/daemon.json"
}

# The runtime's own view: the ids in its state root under the exec root.
runtime_list() { # NAME
	local binary=$RUNC
	[ "$1" = crun ] && binary=$CRUN
	"$binary" --root "$EXEC_ROOT/runtime-$1" list -q 2>/dev/null
}

# Anything left in the runtimes' state roots (a failed check) is deleted at the end.
_runtimes_cleanup() {
	local rt id
	for rt in runc crun; do
		for id in $(runtime_list "$rt"); do
			if [ "$rt" = crun ]; then "$CRUN_PATH" --root "$EXEC_ROOT/runtime-crun" delete -f "$id"; else
				"$RUNC" --root "$EXEC_ROOT/runtime-runc" delete -f "$id"; fi
		done
	done
}
on_exit _runtimes_cleanup

write_config
BERTHD_CONFIG=$TMP/daemon.json
start_berthd
import_busybox

runtime_checks() { # NAME
	local rt=$1 id out
	check_eq "$rt: run --rm prints the output" "hi" "$(docker run --rm --runtime "$rt" busybox echo hi 2>&1)"
	docker run --rm --runtime "$rt" busybox sh -c 'exit 3'
	check_eq "$rt: run --rm: the container's exit status" "3" "$?"
	out=$(docker run --rm --runtime "$rt" busybox sh -c 'echo out; echo err >&2' 2>"$TMP/err")
	check_eq "$rt: stdout and stderr kept apart" "out/err" "$out/$(cat "$TMP/err")"
	out=$(printf 'line1\nline2\n' | docker run --rm -i --runtime "$rt" busybox sh -c 'wc -l')
	check_eq "$rt: run -i: stdin reaches the container" "2" "$(words "$out")"

	id=$(docker run -d --runtime "$rt" --name "ticker-$rt" busybox \
		sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done')
	check_eq "$rt: inspect: HostConfig.Runtime" "$rt" "$(docker inspect -f '{{.HostConfig.Runtime}}' "$id")"
	check_contains "$rt: the runtime itself lists the container" "$id" "$(runtime_list "$rt")"
	check_not_contains "$rt: the built-in runtime does not" "$id" \
		"$(ls "$EXEC_ROOT/runtime" 2>/dev/null)"
	check_match "$rt: ps: Up" "^Up " "$(docker ps --filter "name=ticker-$rt" --format '{{.Status}}')"
	logs_started() { [ "$(docker logs "ticker-$rt" 2>/dev/null | head -2)" = "tick 0
tick 1" ]; }
	check "$rt: logs: the first lines, in order" wait_until 30 logs_started
	check_eq "$rt: exec: output" "inside" "$(docker exec "ticker-$rt" echo inside)"
	docker exec "ticker-$rt" sh -c 'exit 7'
	check_eq "$rt: exec: exit status" "7" "$?"
	check_eq "$rt: exec -e -w -u" "e /tmp 1000" \
		"$(docker exec -e E=e -w /tmp -u 1000 "ticker-$rt" sh -c 'echo $E $(pwd) $(id -u)')"
	check_eq "$rt: exec -i: stdin" "abc" "$(echo abc | docker exec -i "ticker-$rt" cat)"
	check_eq "$rt: exec -u: the user's groups only, not the container's" "65534/1000 50/0" \
		"$(docker exec -u nobody "ticker-$rt" id -G)/$(docker exec -u app "ticker-$rt" id -G)/$(docker exec "ticker-$rt" id -G)"
	check_contains "$rt: top: the container's processes" "sleep" "$(docker top "ticker-$rt")"
	check_match "$rt: stats --no-stream: pids and memory" "^[0-9]+ [0-9.]+[KMG]i?B / " \
		"$(docker stats --no-stream --format '{{.PIDs}} {{.MemUsage}}' "ticker-$rt")"
	check "$rt: pause" docker pause "ticker-$rt"
	check_eq "$rt: paused" "paused" "$(docker inspect -f '{{.State.Status}}' "ticker-$rt")"
	check "$rt: unpause" docker unpause "ticker-$rt"
	check_eq "$rt: running again" "running" "$(docker inspect -f '{{.State.Status}}' "ticker-$rt")"
	check "$rt: stop" docker stop -t 1 "ticker-$rt"
	check_eq "$rt: stopped: exited 137" "exited 137" \
		"$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "ticker-$rt")"
	check_not_contains "$rt: the runtime's state is deleted at exit" "$id" "$(runtime_list "$rt")"
	check "$rt: rm" docker rm "ticker-$rt"

	if "$PYTHON" "$TESTS_DIR/peers/pty_drive.py" --timeout 30 --send 'tty; echo in-$((6*7)); exit' \
		--expect 'in-42' -- "$DOCKER_BIN" run --rm -it --runtime "$rt" busybox sh >"$TMP/pty.log" 2>&1; then
		_ok "$rt: run -it: a shell on a terminal (console socket)"
	else
		_not_ok "$rt: run -it: a shell on a terminal (console socket)"
		_indent "$(cat "$TMP/pty.log")"
	fi
	docker run -d --runtime "$rt" --name "sleeper-$rt" busybox sleep 60 >/dev/null
	if "$PYTHON" "$TESTS_DIR/peers/pty_drive.py" --timeout 30 --send 'tty; echo ex-$((6*7)); exit' \
		--expect 'ex-42' -- "$DOCKER_BIN" exec -it "sleeper-$rt" sh >"$TMP/pty.log" 2>&1; then
		_ok "$rt: exec -it: a shell on a terminal"
	else
		_not_ok "$rt: exec -it: a shell on a terminal"
		_indent "$(cat "$TMP/pty.log")"
	fi
	docker rm -f "sleeper-$rt" >/dev/null

	docker run -d --runtime "$rt" --name "crashy-$rt" --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null
	restarts_reached() { [ "$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' "crashy-$rt")" = "2 exited" ]; }
	check "$rt: restart on-failure:2: restarted twice, then left exited" wait_until 30 restarts_reached
	docker rm -f "crashy-$rt" >/dev/null

	docker run -d --runtime "$rt" --name "healthy-$rt" --health-cmd 'test -e /tmp/ok' \
		--health-interval 200ms --health-retries 1 busybox sleep 60 >/dev/null
	health_is() { [ "$(docker inspect -f '{{.State.Health.Status}}' "healthy-$rt")" = "$1" ]; }
	check "$rt: health check: unhealthy while the probe fails" wait_until 20 health_is unhealthy
	docker exec "healthy-$rt" touch /tmp/ok
	check "$rt: health check: healthy once it passes" wait_until 20 health_is healthy
	docker rm -f "healthy-$rt" >/dev/null

	docker run --runtime "$rt" --name "oom-$rt" -m 32m --memory-swap 32m busybox tail /dev/zero
	check_eq "$rt: a memory hog is OOM-killed and recorded so" "137 true" \
		"$(docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' "oom-$rt")"
	docker rm "oom-$rt" >/dev/null
}

for rt in runc crun; do
	binary=$RUNC
	[ "$rt" = crun ] && binary=$CRUN
	if [ -z "$binary" ]; then
		skip "$rt: every check" "no $rt binary (apt-get install $rt)"
		continue
	fi
	runtime_checks "$rt"
done

# ---- errors and docker info ---------------------------------------------------------------------
before=$(docker ps -aq | wc -l)
docker run --rm --runtime nope busybox true 2>"$TMP/err"
check_eq "--runtime nope: exit 125" "125" "$?"
check_contains "--runtime nope: docker's message" "unknown or invalid runtime name: nope" "$(cat "$TMP/err")"
check_eq "--runtime nope: no container left" "$before" "$(docker ps -aq | wc -l)"
id=$(docker create busybox true)
check_eq "no runtime named: the default's name is recorded" "berth" \
	"$(docker inspect -f '{{.HostConfig.Runtime}}' "$id")"
docker rm "$id" >/dev/null
expected_runtimes="berth"
[ -n "$CRUN" ] && expected_runtimes+=" crun"
expected_runtimes+=" runc"
check_eq "docker info: the runtimes" "$expected_runtimes" \
	"$(docker info 2>/dev/null | sed -n 's/^ *Runtimes: //p' | tr ' ' '\n' | sort | xargs)"
check_eq "docker info: the default runtime" "berth" "$(docker info -f '{{.DefaultRuntime}}')"

if [ -z "$CRUN" ]; then
	skip "re-adoption and default-runtime" "no crun binary (apt-get install crun)"
	finish
fi
check_eq "/info: crun's runtimeArgs" '["--cgroup-manager=cgroupfs"]' \
	"$(docker info -f '{{json (index .Runtimes "crun").Args}}')"

# ---- kill -9 of berthd: a crun container is re-adopted ------------------------------------------
id=$(docker run -d --runtime crun --name survivor busybox sh -c 'trap "exit 0" TERM; while true; do sleep 0.1; done')
stop_berthd KILL
start_berthd
check_eq "after kill -9 and a restart: the crun container runs" "running crun" \
	"$(docker inspect -f '{{.State.Status}} {{.HostConfig.Runtime}}' survivor)"
check_eq "re-adopted: exec goes to crun" "readopted" "$(docker exec survivor echo readopted)"
check_contains "re-adopted: top" "sleep" "$(docker top survivor)"
check "re-adopted: stop" docker stop -t 5 survivor
check_eq "re-adopted: stopped by its TERM trap (exit 0)" "exited 0" \
	"$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' survivor)"
check_not_contains "re-adopted: crun's state deleted at exit" "$id" "$(runtime_list crun)"
docker rm survivor >/dev/null

# ---- default-runtime ----------------------------------------------------------------------------
stop_berthd
write_config crun
start_berthd
check_eq "default-runtime crun: docker info" "crun" "$(docker info -f '{{.DefaultRuntime}}')"
id=$(docker run -d --name plain busybox sleep 60)
check_eq "default-runtime crun: a plain run records crun" "crun" \
	"$(docker inspect -f '{{.HostConfig.Runtime}}' plain)"
check_contains "default-runtime crun: crun runs it" "$id" "$(runtime_list crun)"
check_eq "--runtime berth still picks the built-in runtime" "ok" \
	"$(docker run --rm --runtime berth busybox echo ok)"
docker rm -f plain >/dev/null

finish
