#!/usr/bin/env bash
# Peer test: a private dockerd (with the containerd it starts itself) runs containers
# through berth-runtime, registered with `--add-runtime berth=$RUNTIME`.
#
#   RUNTIME     runtime binary under test (default ${BERTH_BIN:-<repo>/build/bin}/berth-runtime);
#               RUNTIME=runc (or /usr/sbin/runc) validates the test itself.
#   DOCKERD     dockerd binary (default /usr/sbin/dockerd)
#   DOCKER      docker CLI (default /usr/local/bin/docker, falling back to docker on PATH)
#   DOCKERD_STORAGE_DRIVER  force a storage driver (default: dockerd picks; overlay2 here)
#   KEEP_TMP=1  keep the temp dir (logs) after the run
#
# Needs root. Never touches a system dockerd: everything lives in one temp dir.
# Output: `ok - ...` / `not ok - ...` per check, then `N passed, M failed`.
# Exit: 0 all passed, 1 a check failed, 77 skipped (dockerd cannot start here).
PEER_TEST=test_dockerd
PEER_TMP_PREFIX=berth-dockerd
PEER_PYTHON_USE="the pty check"
# shellcheck source-path=SCRIPTDIR source=dockerd_test_setup.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dockerd_test_setup.sh"

# 1. run, output, exit 0
run d run --runtime "$RT" --rm "$IMG" echo hi
if [ $RC = 0 ] && [ "$OUT" = hi ]; then ok "docker run --rm echo hi prints hi, exits 0"
else not_ok "docker run --rm echo hi prints hi, exits 0"; show; dump_log_tail; fi

# 2. exit status propagation
run d run --runtime "$RT" --rm "$IMG" sh -c 'exit 3'
if [ $RC = 3 ]; then ok "exit status 3 propagates through docker run"
else not_ok "exit status 3 propagates through docker run (got $RC)"; show; fi

# 2b. a command that does not exist: the runtime's error reaches the user through the shim's
# log.json, and docker maps it to exit 127 like with runc
run d run --runtime "$RT" --rm "$IMG" /no/such/command
if [ $RC = 127 ] && [[ "$ERR" == *"/no/such/command"* ]]; then ok "a missing command: exit 127 and the runtime's error names it"
else not_ok "a missing command: exit 127 and the runtime's error names it (got $RC)"; show; fi

# 3. stdin (no tty)
run d run --runtime "$RT" --rm -i "$IMG" sh -c 'read l; echo "got:$l"' <<<"piped-line"
if [ $RC = 0 ] && [ "$OUT" = "got:piped-line" ]; then ok "docker run -i passes stdin"
else not_ok "docker run -i passes stdin"; show; fi

# 4. the container sees its own rootfs, pid namespace and hostname
run d run --runtime "$RT" --rm --hostname berth-peer "$IMG" sh -c 'echo "$$ $(hostname) $(cat /etc/passwd | head -n1)"'
if [ $RC = 0 ] && [ "$OUT" = "1 berth-peer root:x:0:0:root:/root:/bin/sh" ]; then
    ok "container is pid 1 with its hostname and the image rootfs"
else not_ok "container is pid 1 with its hostname and the image rootfs"; show; fi

# pty SEND EXPECT CMD... : drive CMD through a pty (see pty_drive.py), stderr in $TMP/pty.err
pty() {
    local send=$1 expect=$2 rc; shift 2
    if [ "$TIMEOUTS" -ge 3 ]; then echo "skipped: earlier docker commands timed out" >"$TMP/pty.err"; return 124; fi
    timeout -k 5 40 python3 "$HERE/pty_drive.py" --timeout 30 --send "$send" --expect "$expect" \
        -- "$@" 2>"$TMP/pty.err"
    rc=$?
    [ $rc = 2 ] || [ $rc = 124 ] && TIMEOUTS=$((TIMEOUTS + 1))
    return $rc
}

# 5. interactive shell through a pty
if pty "echo hel''lo; exit" 'hello' "$DOCKER" run -it --runtime "$RT" --rm "$IMG" sh; then
    ok "docker run -it: interactive sh through a pty"
else
    not_ok "docker run -it: interactive sh through a pty"; note <"$TMP/pty.err"
fi

# 6. detached container: logs, exec, stop, rm
C=berth-peer-detached
LOOP='trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 1 & wait $!; done'
run d run -d --runtime "$RT" --name "$C" "$IMG" sh -c "$LOOP"
if [ $RC = 0 ] && [ -n "$OUT" ]; then
    ok "docker run -d starts a container"
    for _ in $(seq 100); do            # wait (bounded) for the first log line
        [ "$(d logs "$C" 2>/dev/null)" = started ] && break; sleep 0.1
    done
    run d inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' "$C"
    read -r status running pid _ <<<"$OUT"
    if [ "${status:-}" = running ] && [ "${running:-}" = true ] && [ "${pid:-0}" -gt 0 ] && kill -0 "$pid" 2>/dev/null; then
        ok "docker inspect: running, with a live host pid"
    else not_ok "docker inspect: running, with a live host pid"; show; fi
    run d logs "$C"
    if [ "$OUT" = started ]; then ok "docker logs shows the container's output"
    else not_ok "docker logs shows the container's output"; show; fi

    run d exec "$C" sh -c 'echo "from-exec $(cat /proc/1/cmdline | tr "\0" " " | cut -c1-8)"; exit 5'
    if [ $RC = 5 ] && [ "$OUT" = "from-exec sh -c tr" ]; then
        ok "docker exec: output and exit status 5 from a process in the container"
    else not_ok "docker exec: output and exit status 5 from a process in the container"; show; fi

    run d exec -e BERTH_X=42 -w /tmp "$C" sh -c 'echo "$BERTH_X $(pwd)"'
    if [ $RC = 0 ] && [ "$OUT" = "42 /tmp" ]; then ok "docker exec -e -w: env and cwd"
    else not_ok "docker exec -e -w: env and cwd"; show; fi

    if pty "echo ex''ec-tty; exit" 'exec-tty' "$DOCKER" exec -it "$C" sh; then
        ok "docker exec -it: interactive sh through a pty"
    else
        not_ok "docker exec -it: interactive sh through a pty"; note <"$TMP/pty.err"
    fi

    t0=$(date +%s%N)
    run d stop -t 10 "$C"
    t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
    if [ $RC = 0 ] && [ $ms -lt 9000 ]; then ok "docker stop -t 10 returns in ${ms}ms (SIGTERM handled)"
    else not_ok "docker stop -t 10 returns before the timeout (rc $RC, ${ms}ms)"; show; fi
    run d inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$C"
    if [ "$OUT" = "exited 0" ]; then ok "stopped container is exited with code 0"
    else not_ok "stopped container is exited with code 0 (got '$OUT')"; show; fi
    run d logs "$C"
    if printf '%s\n' "$OUT" | grep -qx got-term; then ok "container's TERM trap ran on docker stop"
    else not_ok "container's TERM trap ran on docker stop"; show; fi

    run d rm "$C"
    if [ $RC = 0 ] && ! d ps -a --format '{{.Names}}' | grep -qx "$C"; then ok "docker rm removes it"
    else not_ok "docker rm removes it"; show; fi
else
    not_ok "docker run -d starts a container"; show; dump_log_tail
    d rm -f "$C" >/dev/null 2>&1
fi

# 7. stop escalates to SIGKILL when pid 1 ignores SIGTERM
C=berth-peer-stubborn
run d run -d --runtime "$RT" --name "$C" "$IMG" sleep 600
if [ $RC = 0 ]; then
    t0=$(date +%s%N)
    run d stop -t 1 "$C"
    t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
    run2=$(d inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$C" 2>&1)
    if [ $RC = 0 ] && [ "$run2" = "exited 137" ] && [ $ms -lt 15000 ]; then
        ok "docker stop -t 1 kills a TERM-ignoring pid 1 (exit 137, ${ms}ms)"
    else not_ok "docker stop -t 1 kills a TERM-ignoring pid 1 (rc $RC, state '$run2', ${ms}ms)"; show; fi
    run d rm -f "$C"
else
    not_ok "docker run -d sleep 600"; show
    d rm -f "$C" >/dev/null 2>&1
fi

# 8. docker run --rm leaves nothing behind
run d ps -aq
if [ $RC = 0 ] && [ -z "$OUT" ]; then ok "no containers left"
else not_ok "no containers left"; d ps -a 2>&1 | note; fi
left=$(for h in $(peer_cgroup_dirs "$CGPARENT"); do find "$h" -mindepth 1 -type d; done)
if [ -z "$left" ]; then ok "no container cgroups left under $CGPARENT"
else not_ok "no container cgroups left under $CGPARENT"; echo "$left" | note; fi

if [ $FAIL -gt 0 ]; then
    echo "# last lines of the dockerd log ($LOG):" >&2
    tail -n 30 "$LOG" | note
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
