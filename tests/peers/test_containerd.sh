#!/usr/bin/env bash
# Peer test: a private containerd runs containers with the io.containerd.runc.v2 shim,
# with berth-runtime as the shim's runc binary (`ctr run --runc-binary $RUNTIME`).
#
#   RUNTIME     runtime binary under test (default ${BERTH_BIN:-<repo>/build/bin}/berth-runtime);
#               RUNTIME=runc (or /usr/sbin/runc) validates the test itself.
#   CONTAINERD  containerd binary (default: containerd on PATH)
#   CTR         ctr binary (default: ctr on PATH)
#   KEEP_TMP=1  keep the temp dir (logs) after the run
#
# Needs root. Never touches a system containerd: root, state, sockets, the runtime's state
# dir (--runc-root) and the rootfs all live in one temp dir; the namespace is unique.
# The container rootfs is a busybox directory passed with `ctr run --rootfs`.
# Output: `ok - ...` / `not ok - ...` per check, then `N passed, M failed`.
# Exit: 0 all passed, 1 a check failed, 77 skipped (containerd cannot start here).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BERTH_SRC=${BERTH_SRC:-$(cd "$HERE/../.." && pwd)}
# The cleanup helpers (peer_*) shared with the dockerd peer tests.
# shellcheck source-path=SCRIPTDIR source=dockerd_lib.sh
. "$HERE/dockerd_lib.sh"
RUNTIME=${RUNTIME:-${BERTH_BIN:-$BERTH_SRC/build/bin}/berth-runtime}
# Accept a bare name (RUNTIME=runc).
if [[ $RUNTIME != */* ]] && command -v "$RUNTIME" >/dev/null 2>&1; then RUNTIME=$(command -v "$RUNTIME"); fi
CONTAINERD=${CONTAINERD:-$(command -v containerd || true)}
CTR=${CTR:-$(command -v ctr || true)}
SHIM=containerd-shim-runc-v2
BUSYBOX=${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}
CMD_TIMEOUT=${CMD_TIMEOUT:-30}

PASS=0
FAIL=0
ok()     { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip()   { echo "skip - $*"; echo "0 passed, 0 failed"; exit 77; }
note()   { sed 's/^/#   /' >&2; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$CONTAINERD" ] || skip "no containerd binary"
[ -x "$CTR" ] || skip "no ctr binary"
command -v "$SHIM" >/dev/null || skip "no $SHIM on PATH"
[ -x "$BUSYBOX" ] || skip "no static busybox (apt-get install busybox-static)"
command -v python3 >/dev/null || skip "no python3 (needed for the pty checks)"
if [ ! -x "$RUNTIME" ]; then
    not_ok "runtime binary $RUNTIME is not executable (build it or set RUNTIME/BERTH_BIN)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
RUNTIME=$(readlink -f "$RUNTIME")

TMP=$(mktemp -d /tmp/berth-ctrd.XXXXXX)     # short: sockets live here
echo "# test_containerd: RUNTIME=$RUNTIME TMP=$TMP"
chmod 711 "$TMP"
LOG=$TMP/containerd.log
ADDR=$TMP/containerd.sock
NS=berth-peer-$(basename "$TMP" | tr -c 'a-zA-Z0-9\n' -)
RUNC_ROOT=$TMP/runc-root
CPID=

# --- cleanup ----------------------------------------------------------------------------
# The shims put their sockets in /run/containerd/s whatever the config says; if that did not
# exist before we started, remove it (when empty) at the end.
peer_record_system_paths /run/containerd/s /run/containerd/fifo /run/containerd

cleanup() {
    local rc=$? id
    trap - EXIT INT TERM
    if [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null; then
        if [ "${TIMEOUTS:-0}" -lt 3 ]; then
            for id in $(timeout -s KILL 5 "$CTR" --address "$ADDR" -n "$NS" task ls -q 2>/dev/null); do
                timeout -s KILL 5 "$CTR" --address "$ADDR" -n "$NS" task kill -s KILL "$id" >/dev/null 2>&1
                timeout -s KILL 5 "$CTR" --address "$ADDR" -n "$NS" task delete -f "$id" >/dev/null 2>&1
            done
            for id in $(timeout -s KILL 5 "$CTR" --address "$ADDR" -n "$NS" container ls -q 2>/dev/null); do
                timeout -s KILL 5 "$CTR" --address "$ADDR" -n "$NS" container delete "$id" >/dev/null 2>&1
            done
        fi
        kill -TERM "$CPID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$CPID" 2>/dev/null; then
            echo "# containerd did not exit after SIGTERM; sending SIGKILL" >&2
            kill -KILL "$CPID" 2>/dev/null
        fi
        wait "$CPID" 2>/dev/null
    fi
    # Shims (reparented away from containerd) and anything they left in our cgroups (ctr puts
    # containers at /<namespace>/<id>).
    peer_kill_leftovers "$TMP" "$NS"
    peer_umount_under "$TMP"
    peer_rm_cgroups "$NS"
    peer_rm_system_paths
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "# kept $TMP" >&2
    else
        rm -rf --one-file-system "$TMP" 2>/dev/null || echo "# could not remove all of $TMP" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- start containerd ----------------------------------------------------------------------
cat >"$TMP/config.toml" <<EOF
version = 2
root = "$TMP/root"
state = "$TMP/state"
# Nothing Kubernetes, nothing that needs a kernel feature or a daemon we don't have.
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$ADDR"

[ttrpc]
  address = "$ADDR.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$TMP/opt"
EOF

"$CONTAINERD" --config "$TMP/config.toml" >"$LOG" 2>&1 &
CPID=$!

started=0
for _ in $(seq 200); do           # up to 20 s
    kill -0 "$CPID" 2>/dev/null || break
    if [ -S "$ADDR" ] && timeout 5 "$CTR" --address "$ADDR" version >/dev/null 2>&1; then started=1; break; fi
    sleep 0.1
done
if [ $started = 0 ]; then
    echo "# containerd did not come up; its log ($LOG):" >&2
    tail -n 40 "$LOG" | note
    reason=$(grep -m1 -iE 'level=(fatal|error)' "$LOG" | sed 's/.*msg=//')
    skip "containerd cannot start on this machine: ${reason:-see log above}"
fi

# --- rootfs --------------------------------------------------------------------------------
ROOTFS=$TMP/rootfs
mkdir -p "$ROOTFS"/{bin,etc,tmp,root,proc,sys,dev}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$BUSYBOX" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOTFS/etc/passwd"
echo 'root:x:0:' >"$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"

# --- helpers -------------------------------------------------------------------------------
# ctr with a deadline; after 3 timed-out commands the runtime is taken to be hung and later
# commands fail at once.
TIMEOUTS=0
c() {
    local rc
    if [ "$TIMEOUTS" -ge 3 ]; then echo "skipped: earlier ctr commands timed out" >&2; return 124; fi
    timeout -s KILL "$CMD_TIMEOUT" "$CTR" --address "$ADDR" -n "$NS" "$@"
    rc=$?
    if [ $rc = 137 ]; then TIMEOUTS=$((TIMEOUTS + 1)); echo "timed out after ${CMD_TIMEOUT}s: ctr $*" >&2; fi
    return $rc
}
# `ctr run` with berth-runtime as the shim's runc binary, on our rootfs dir
# (with --rootfs there is no image config, hence no PATH unless we give one)
RUN_OPTS=(--fifo-dir "$TMP/fifo" --runtime io.containerd.runc.v2 --runc-binary "$RUNTIME" --runc-root "$RUNC_ROOT"
          --env PATH=/usr/sbin:/usr/bin:/sbin:/bin --rootfs)

run() {             # run CMD...: stdout in $OUT, stderr in $ERR, exit code in $RC
    "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
show() { { echo "exit $RC"; echo "stdout: $OUT"; echo "stderr: $ERR"; } | note; }
dump_log_tail() { echo "# containerd log tail:" >&2; tail -n 15 "$LOG" | note; }

pty() {             # pty SEND EXPECT CMD...: drive CMD through a pty; stderr in $TMP/pty.err
    local send=$1 expect=$2 rc; shift 2
    if [ "$TIMEOUTS" -ge 3 ]; then echo "skipped: earlier ctr commands timed out" >"$TMP/pty.err"; return 124; fi
    timeout -s KILL 40 python3 "$HERE/pty_drive.py" --timeout 30 --send "$send" --expect "$expect" \
        -- "$@" 2>"$TMP/pty.err"
    rc=$?
    [ $rc = 2 ] || [ $rc = 137 ] && TIMEOUTS=$((TIMEOUTS + 1))
    return $rc
}

task_status() {     # task_status ID -> prints "PID STATUS" from `ctr task ls`
    c task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2, $3 }'
}

wait_status() {     # wait_status ID STATUS [tenths]: bounded poll for the task status
    local id=$1 want=$2 n=${3:-100} st
    for _ in $(seq "$n"); do
        st=$(task_status "$id" | cut -d' ' -f2)
        [ "$st" = "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

# --- checks --------------------------------------------------------------------------------
# 1. run, output, exit 0
run c run --rm "${RUN_OPTS[@]}" "$ROOTFS" berth-echo echo hi
if [ $RC = 0 ] && [ "$OUT" = hi ]; then ok "ctr run --rm echo hi prints hi, exits 0"
else not_ok "ctr run --rm echo hi prints hi, exits 0"; show; dump_log_tail; fi

# 2. exit status propagation
run c run --rm "${RUN_OPTS[@]}" "$ROOTFS" berth-exit sh -c 'exit 3'
if [ $RC = 3 ]; then ok "exit status 3 propagates through ctr run"
else not_ok "exit status 3 propagates through ctr run (got $RC)"; show; fi

# 3. stdin (no tty), pid namespace
run c run --rm "${RUN_OPTS[@]}" "$ROOTFS" berth-stdin sh -c 'read l; echo "got:$l pid:$$"' <<<"piped-line"
if [ $RC = 0 ] && [ "$OUT" = "got:piped-line pid:1" ]; then ok "ctr run passes stdin; the process is pid 1"
else not_ok "ctr run passes stdin; the process is pid 1"; show; fi

# 4. tty
if pty "echo hel''lo; exit" 'hello' "$CTR" --address "$ADDR" -n "$NS" run -t --rm "${RUN_OPTS[@]}" "$ROOTFS" berth-tty sh; then
    ok "ctr run -t: interactive sh through a pty"
else
    not_ok "ctr run -t: interactive sh through a pty"; note <"$TMP/pty.err"
fi

# 5. detached task: status, exec, ps, kill (TERM), delete
ID=berth-detached
LOOP='trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 1 & wait $!; done'
run c run -d --log-uri "file://$TMP/detached.log" "${RUN_OPTS[@]}" "$ROOTFS" "$ID" sh -c "$LOOP"
if [ $RC = 0 ] && wait_status "$ID" RUNNING 50; then
    ok "ctr run -d: task is RUNNING"
    # shellcheck disable=SC2046  # split "PID STATUS"
    set -- $(task_status "$ID")
    if [ "${1:-0}" -gt 0 ] && kill -0 "$1" 2>/dev/null; then ok "task pid $1 is a live host process"
    else not_ok "task pid is a live host process ('$*')"; fi
    for _ in $(seq 50); do grep -q started "$TMP/detached.log" 2>/dev/null && break; sleep 0.1; done
    if grep -qx started "$TMP/detached.log" 2>/dev/null; then ok "detached task's stdout reaches its log"
    else not_ok "detached task's stdout reaches its log"; note <"$TMP/detached.log"; fi

    run c task exec --fifo-dir "$TMP/fifo" --exec-id e1 "$ID" sh -c 'echo "from-exec $(cat /proc/1/cmdline | tr "\0" " " | cut -c1-8)"; exit 5'
    if [ $RC = 5 ] && [ "$OUT" = "from-exec sh -c tr" ]; then
        ok "ctr task exec: output and exit status 5 from a process in the container"
    else not_ok "ctr task exec: output and exit status 5 from a process in the container"; show; fi

    run c task exec --fifo-dir "$TMP/fifo" --exec-id e2 --cwd /tmp --user 65534 "$ID" sh -c 'echo "$(id -u) $(pwd)"'
    if [ $RC = 0 ] && [ "$OUT" = "65534 /tmp" ]; then ok "ctr task exec --cwd --user: cwd and uid"
    else not_ok "ctr task exec --cwd --user: cwd and uid"; show; fi

    if pty "echo ex''ec-tty; exit" 'exec-tty' "$CTR" --address "$ADDR" -n "$NS" task exec --fifo-dir "$TMP/fifo" -t --exec-id e3 "$ID" sh; then
        ok "ctr task exec -t: interactive sh through a pty"
    else
        not_ok "ctr task exec -t: interactive sh through a pty"; note <"$TMP/pty.err"
    fi

    run c task ps "$ID"
    pid1=$(task_status "$ID" | cut -d' ' -f1)
    if [ $RC = 0 ] && printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 }' | grep -qx "$pid1"; then
        ok "ctr task ps lists the task's processes"
    else not_ok "ctr task ps lists the task's processes (pid '$pid1')"; show; fi

    run c task kill "$ID"              # SIGTERM
    if [ $RC = 0 ] && wait_status "$ID" STOPPED 100; then ok "ctr task kill (TERM) stops the task"
    else not_ok "ctr task kill (TERM) stops the task"; show; c task ls 2>&1 | note; fi
    if grep -qx got-term "$TMP/detached.log" 2>/dev/null; then ok "the container's TERM trap ran"
    else not_ok "the container's TERM trap ran"; note <"$TMP/detached.log"; fi

    run c task delete "$ID"
    if [ $RC = 0 ] && [ -z "$(task_status "$ID")" ]; then ok "ctr task delete removes the task"
    else not_ok "ctr task delete removes the task"; show; fi
    run c container delete "$ID"
    if [ $RC = 0 ]; then ok "ctr container delete"; else not_ok "ctr container delete"; show; fi
    if [ ! -e "$RUNC_ROOT/$NS/$ID" ] && [ ! -e "$RUNC_ROOT/$ID" ]; then ok "runtime state dir removed"
    else not_ok "runtime state dir removed"; find "$RUNC_ROOT" -mindepth 1 -ls 2>&1 | note; fi
else
    not_ok "ctr run -d: task is RUNNING"; show; c task ls 2>&1 | note; dump_log_tail
    c task delete -f "$ID" >/dev/null 2>&1; c container delete "$ID" >/dev/null 2>&1
fi

# 6. SIGKILL for a pid 1 that ignores SIGTERM
ID=berth-stubborn
run c run -d --null-io "${RUN_OPTS[@]}" "$ROOTFS" "$ID" sleep 600
if [ $RC = 0 ] && wait_status "$ID" RUNNING 50; then
    c task kill "$ID" >/dev/null 2>&1        # TERM: ignored by pid 1 without a handler
    sleep 0.3
    # shellcheck disable=SC2046  # split "PID STATUS"
    set -- $(task_status "$ID")
    if [ "${2:-}" = RUNNING ]; then ok "SIGTERM to a handler-less pid 1 is ignored"
    else not_ok "SIGTERM to a handler-less pid 1 is ignored (status '${2:-}')"; fi
    run c task kill -s SIGKILL "$ID"
    if [ $RC = 0 ] && wait_status "$ID" STOPPED 100; then ok "ctr task kill -s SIGKILL stops it"
    else not_ok "ctr task kill -s SIGKILL stops it"; show; fi
    c task delete "$ID" >/dev/null 2>&1
    c container delete "$ID" >/dev/null 2>&1
else
    not_ok "ctr run -d sleep 600"; show
    c task delete -f "$ID" >/dev/null 2>&1; c container delete "$ID" >/dev/null 2>&1
fi

# 7. nothing left behind
run c container ls -q
if [ $RC = 0 ] && [ -z "$OUT" ]; then ok "no containers left"
else not_ok "no containers left"; show; fi
left=$(for h in $(peer_cgroup_dirs "$NS"); do find "$h" -mindepth 1 -type d; done)
if [ -z "$left" ]; then ok "no container cgroups left under /$NS"
else not_ok "no container cgroups left under /$NS"; echo "$left" | note; fi

if [ $FAIL -gt 0 ]; then
    echo "# last lines of the containerd log ($LOG):" >&2
    tail -n 30 "$LOG" | note
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
