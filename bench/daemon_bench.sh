#!/usr/bin/env bash
# daemon_bench.sh — berthd against a private dockerd (20.10 + its own containerd + runc), side by
# side in one run, one table. Also reached as `bench/run.sh daemon [options]`.
#
#   bench/daemon_bench.sh [--runs N] [--containers N] [--burst N] [--json FILE]
#
#   --runs N        timed `run --rm` runs per client/daemon pair (default 20)
#   --containers N  sleeping containers per daemon for the per-container memory (default 20)
#   --burst N       containers started at once per daemon (default 50)
#   --json FILE     the results as JSON as well
#
# 1. End to end: `run --rm --network none IMAGE true` with the berth CLI against berthd, the docker
#    CLI against berthd and the docker CLI against dockerd (the baseline), interleaved, the start
#    order rotating every iteration. Each run is spawned and timed by bench/spawn_measure.c (fork to
#    wait4, CLOCK_MONOTONIC), so no shell or `timeout` process is inside the measured time.
# 2. Idle memory: berthd vs dockerd + containerd right after start + one `docker version`: VmRSS and
#    Pss (/proc/PID/smaps_rollup).
# 3. Memory per running container: N `run -d … sleep 3600`, one daemon at a time; total PSS of the
#    per-container processes (berth-monitor / containerd-shim-runc-v2) over N, and the drop of
#    MemAvailable over N (that one includes the container's own sleep, kernel memory and anything
#    else that happens on the machine meanwhile).
# 4. Burst: N concurrent `docker run -d … sleep 3600` per daemon: wall time until every CLI has
#    returned and N sleeps run (ps), then `docker rm -f` of all of them, timed until no
#    per-container process is left.
#
# Both daemons use the same busybox rootfs tarball, imported with `docker import`. The berth
# binaries are copied from $BERTH_BIN (default <repo>/build/bin) into the work dir first, so a
# rebuild during the run does not swap them. Everything (daemons, containers, mounts, cgroups, the
# work dir under /tmp) is removed on exit, also on failure and Ctrl-C.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
BERTH_BIN=${BERTH_BIN:-$repo/build/bin}
runs=20
ncontainers=20
nburst=50
json_out=
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --containers) ncontainers=${2:?--containers needs a number}; shift 2 ;;
        --containers=*) ncontainers=${1#*=}; shift ;;
        --burst) nburst=${2:?--burst needs a number}; shift 2 ;;
        --burst=*) nburst=${1#*=}; shift ;;
        --json) json_out=${2:?--json needs a file}; shift 2 ;;
        --json=*) json_out=${1#*=}; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "daemon_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
for n in "$runs" "$ncontainers" "$nburst"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "daemon_bench.sh: counts must be positive numbers" >&2; exit 2; }
done
if [ "$(id -u)" != 0 ]; then
    echo "daemon_bench.sh: must run as root (both daemons create namespaces, mounts, cgroups)" >&2
    exit 1
fi
for b in berthd berth berth-monitor; do
    [ -x "$BERTH_BIN/$b" ] || { echo "daemon_bench.sh: no $BERTH_BIN/$b (build first or set BERTH_BIN)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "daemon_bench.sh: no /bin/busybox (apt-get install busybox-static)" >&2; exit 1; }
[ -z "$json_out" ] || json_out=$(realpath -m "$json_out")

# start_private_dockerd / stop_private_dockerd and the peer_* cleanup helpers; sets DOCKER, DOCKERD.
# shellcheck source-path=SCRIPTDIR source=../tests/peers/dockerd_lib.sh
. "$repo/tests/peers/dockerd_lib.sh"
if [ -z "$DOCKER" ] || [ ! -x "$DOCKER" ]; then echo "daemon_bench.sh: no docker CLI" >&2; exit 1; fi
[ -x "$DOCKERD" ] || { echo "daemon_bench.sh: no dockerd at $DOCKERD" >&2; exit 1; }

# Short path under /tmp: containerd's socket below the dockerd exec-root must fit in sun_path.
work=$(mktemp -d /tmp/berth-db.XXXXXX)
chmod 711 "$work"
results=$work/results.tsv # section<TAB>row<TAB>key<TAB>value, turned into the table at the end
: >"$results"
IMG=berth-bench-busybox:latest

# Only the daemon named with -H: no contexts, TLS or credential helpers of the caller.
export DOCKER_CONFIG=$work/docker-config
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
mkdir -p "$DOCKER_CONFIG"

bin=$work/bin              # the snapshot of the berth binaries
B_ROOT=$work/berth/root
B_EXEC=$work/berth/run
B_SOCK=$work/berth/berth.sock
B_PID=
burst_pids=()

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }
note() { record notes - note "$*"; echo "# $*" >&2; }
now() { echo "$EPOCHREALTIME"; }
# elapsed T0 [T1]: seconds from T0 to T1 (default now), 3 decimals
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.3f", b - a }'; }

# The docker CLI against one daemon: dk berth|docker ARGS…, with a deadline (SIGKILL: an attached
# `docker run` forwards SIGTERM to the container and keeps waiting).
sock_of() { if [ "$1" = berth ]; then echo "$B_SOCK"; else echo "$PD_SOCK"; fi; }
dk() {
    local d=$1
    shift
    timeout -s KILL 120 "$DOCKER" -H "unix://$(sock_of "$d")" "$@"
}

# ---- processes of one daemon ------------------------------------------------------------------
# scan_procs berth|docker: one line per process of interest, from a single ps:
#   mon PID     a per-container process: berth-monitor (container mode) of our exec root, or a
#               containerd-shim-runc-v2 of our dockerd (comm is cut to 15 chars: containerd-shim)
#   sleep PID   a live (not zombie) `sleep` whose parent is one of those: a running container. This
#               VM's PID 1 does not reap orphans, so exited processes stay as zombies: skip them.
scan_procs() {
    local comm pat
    if [ "$1" = berth ]; then comm=berth-monitor pat="berth-monitor container $B_EXEC/"; else
        comm=containerd-shim pat="$PD_DIR/"; fi
    ps -e -o pid=,ppid=,stat=,comm=,args= | awk -v c="$comm" -v pat="$pat" '
        { pid[NR] = $1; ppid[NR] = $2; st[NR] = $3; cm[NR] = $4 }
        $4 == c && index($0, pat) && $3 !~ /^Z/ { mon[$1] = 1; print "mon", $1 }
        END { for (i = 1; i <= NR; i++)
                  if (cm[i] == "sleep" && st[i] !~ /^Z/ && (ppid[i] in mon)) print "sleep", pid[i] }'
}
count_kind() { scan_procs "$1" | awk -v k="$2" '$1 == k { n++ } END { print n + 0 }'; }
pids_kind() { scan_procs "$1" | awk -v k="$2" '$1 == k { print $2 }'; }

# wait_for SECONDS CMD…: polls CMD until it succeeds; 1 when the deadline passes.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05 # poll interval, not a synchronisation
    done
}
count_is() { [ "$(count_kind "$1" "$2")" = "$3" ]; }
berthd_gone() { ! kill -0 "$B_PID" 2>/dev/null; }
berthd_answers() { timeout -s KILL 5 "$DOCKER" -H "unix://$B_SOCK" version >/dev/null 2>&1; }

# mem_of PID…: "RSS_kB PSS_kB" summed over the PIDs (VmRSS from status, Pss from smaps_rollup).
# A pid that vanished counts as 0.
mem_of() {
    local p rss=0 pss=0 v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || v=
        rss=$((rss + ${v:-0}))
        v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || v=
        pss=$((pss + ${v:-0}))
    done
    echo "$rss $pss"
}
mem_available() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
containerd_pid() { ps -e -o pid=,ppid=,comm= | awk -v pp="$PD_PID" '$2 == pp && $3 == "containerd" { print $1; exit }'; }

# ---- cleanup ------------------------------------------------------------------------------------
stop_berthd() {
    local ids p
    if [ -n "$B_PID" ] && kill -0 "$B_PID" 2>/dev/null; then
        ids=$(timeout -s KILL 20 "$DOCKER" -H "unix://$B_SOCK" ps -aq 2>/dev/null || true)
        # shellcheck disable=SC2086  # a list of ids
        [ -z "$ids" ] || timeout -s KILL 60 "$DOCKER" -H "unix://$B_SOCK" rm -f $ids >/dev/null 2>&1 || true
        kill -TERM "$B_PID" 2>/dev/null || true
        wait_for 15 berthd_gone || kill -KILL "$B_PID" 2>/dev/null || true
        wait "$B_PID" 2>/dev/null || true
    fi
    B_PID=
    # Monitors outlive berthd by design: containers still there (berthd died, rm failed) go now,
    # their processes first, then the monitors and anything else naming our work dir.
    p=$(pids_kind berth sleep)
    # shellcheck disable=SC2086  # a list of pids
    [ -z "$p" ] || kill -KILL $p 2>/dev/null || true
    peer_kill_leftovers "$work/berth" ""
    peer_umount_under "$work/berth"
    # Container cgroups that berth left behind for our containers (empty by now).
    if [ -s "$work/container-ids" ]; then
        sort -u "$work/container-ids" | while read -r id; do
            find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" -exec rmdir {} \; 2>/dev/null || true
        done
    fi
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    # Burst jobs still running (Ctrl-C during section 4); not `jobs -p`: the daemons are jobs too.
    [ ${#burst_pids[@]} = 0 ] || kill -KILL "${burst_pids[@]}" 2>/dev/null || true
    stop_berthd
    stop_private_dockerd
    rm -rf --one-file-system "$work" 2>/dev/null || echo "# could not remove all of $work" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- setup --------------------------------------------------------------------------------------
mkdir -p "$bin"
cp -p "$BERTH_BIN"/berth "$BERTH_BIN"/berthd "$BERTH_BIN"/berth-monitor "$bin/"
[ ! -x "$BERTH_BIN/berth-init" ] || cp -p "$BERTH_BIN/berth-init" "$bin/"
"${CC:-cc}" -O2 -o "$work/spawn_measure" "$here/spawn_measure.c"

record env - started "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
record env - host "$(uname -r), $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%d MB RAM", $2 / 1024 }' /proc/meminfo)"
record env - load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
record env - berthd "$("$bin/berthd" --version 2>&1 | head -n1) (from $BERTH_BIN)"
record env - dockerd "$("$DOCKERD" --version | head -n1), $(containerd --version 2>/dev/null | awk '{ print $1, $3 }'), $(runc --version 2>/dev/null | head -n1)"
record env - docker_cli "$("$DOCKER" --version)"

# berthd first, measured idle right after it answers one `docker version`.
mkdir -p "$work/berth"
"$bin/berthd" --config-file /dev/null --root "$B_ROOT" --exec-root "$B_EXEC" -H "unix://$B_SOCK" \
    >"$work/berthd.log" 2>&1 &
B_PID=$!
# Polls until the first `docker version` succeeds: that one is the single request before measuring.
if ! wait_for 20 berthd_answers; then
    tail -n 20 "$work/berthd.log" >&2
    echo "daemon_bench.sh: berthd did not answer docker version within 20 s" >&2
    exit 1
fi
read -r rss pss < <(mem_of "$B_PID")
record idle berthd rss "$rss"; record idle berthd pss "$pss"

# The private dockerd of tests/peers/dockerd_lib.sh: own data-root, exec-root, socket and containerd,
# no bridge/iptables (containers run with --network none anyway), cgroupfs with its own parent.
PD_DIR=$work/pd
start_private_dockerd >/dev/null || { echo "daemon_bench.sh: dockerd did not start: $PD_START_ERROR" >&2; exit 1; }
unset DOCKER_HOST # start_private_dockerd exports it; every command here names its daemon
dk docker version >/dev/null
read -r rss pss < <(mem_of "$PD_PID")
record idle dockerd rss "$rss"; record idle dockerd pss "$pss"
cpid=$(containerd_pid)
if [ -n "$cpid" ]; then
    read -r rss pss < <(mem_of "$cpid")
    record idle containerd rss "$rss"; record idle containerd pss "$pss"
else
    note "no containerd child of dockerd found: its memory is missing from the idle figures"
fi

# The same busybox rootfs tarball into both daemons (one layer, CMD sh).
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev}
cp /bin/busybox "$rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
tar -C "$rootfs" -cf "$work/busybox.tar" .
for d in berth docker; do
    dk "$d" import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' "$work/busybox.tar" "$IMG" >/dev/null
done
record env - image "busybox-static $(/bin/busybox | head -n1 | awk '{ print $2 }'), one layer of $(du -k "$work/busybox.tar" | cut -f1) kB, imported into both"

# ---- 1. end to end `run --rm` --------------------------------------------------------------------
# Rows: name, client binary, daemon. Every row runs `CLIENT -H SOCK run --rm --network none IMG true`.
rows=(berth-cli:berthd docker-cli:berthd docker-cli:dockerd)
row_cmd() { # row_cmd ROW → the command words
    local client=${1%%:*} daemon=${1#*:} sock
    if [ "$daemon" = berthd ]; then sock=$B_SOCK; else sock=$PD_SOCK; fi
    if [ "$client" = berth-cli ]; then echo "$bin/berth -H unix://$sock"; else echo "$DOCKER -H unix://$sock"; fi
}
# measure ROW LOG ARGS…: runs the row's client with ARGS through spawn_measure (60 s deadline);
# sets m_rc (exit code, -signal), m_ms (wall ms).
measure() {
    local row=$1 log=$2 line
    shift 2
    # shellcheck disable=SC2046  # the command words hold no spaces (paths under /tmp, /usr)
    line=$("$work/spawn_measure" "$log" 60000 $(row_cmd "$row") "$@")
    m_rc=${line%% *}
    m_ms=$(awk -v ns="$(echo "$line" | cut -d' ' -f2)" 'BEGIN { printf "%.2f", ns / 1e6 }')
}
# settle: waits (at most 2 s) until no task but this shell is runnable, twice in a row 20 ms
# apart: both daemons go on cleaning up after a `run --rm` has returned (dockerd, containerd and
# its shim; berthd's janitor and the exiting monitor), and on 2 CPUs that work would otherwise
# land in the next run's time, whichever client it is.
settle() {
    local deadline=$((SECONDS + 2)) quiet=0 key value
    while [ $quiet -lt 2 ] && [ $SECONDS -lt $deadline ]; do
        while read -r key value _; do
            [ "$key" = procs_running ] && break
        done </proc/stat
        if [ "$value" -le 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
        sleep 0.02
    done
}
echo "# 1. run --rm: check + warm-up, then $runs interleaved runs per row" >&2
declare -A row_ok
for row in "${rows[@]}"; do
    # The check run must print what the container echoes: a client that exits 0 without running
    # a container fails here. Then one untimed warm-up `true`.
    measure "$row" "$work/check.log" run --rm --network none "$IMG" sh -c 'echo berth-bench-ok'
    if [ "$m_rc" != 0 ] || [ "$(cat "$work/check.log")" != berth-bench-ok ]; then
        record e2e "$row" failed "check run: exit $m_rc: $(head -n1 "$work/check.log")"
        continue
    fi
    measure "$row" "$work/warm.log" run --rm --network none "$IMG" true
    if [ "$m_rc" != 0 ]; then
        record e2e "$row" failed "warm-up: exit $m_rc: $(head -n1 "$work/warm.log")"
        continue
    fi
    row_ok[$row]=1
    : >"$work/e2e.$row.ms"
done
for ((i = 0; i < runs; i++)); do
    for ((k = 0; k < ${#rows[@]}; k++)); do
        row=${rows[$(((i + k) % ${#rows[@]}))]} # the start order rotates each iteration
        [ -n "${row_ok[$row]:-}" ] || continue
        settle
        measure "$row" "$work/run.log" run --rm --network none "$IMG" true
        if [ "$m_rc" = 0 ]; then
            echo "$m_ms" >>"$work/e2e.$row.ms"
        else
            record e2e "$row" error "exit $m_rc after $m_ms ms: $(head -n1 "$work/run.log")"
        fi
    done
done
for row in "${rows[@]}"; do
    [ -z "${row_ok[$row]:-}" ] || record e2e "$row" samples "$(paste -sd, "$work/e2e.$row.ms")"
    record e2e "$row" runs "$runs"
done
# `run --rm` must leave nothing behind.
for d in berth docker; do
    left=$(dk "$d" ps -aq | wc -l)
    [ "$left" = 0 ] || note "$d: $left containers left after the run --rm loop (removed)"
    # shellcheck disable=SC2046  # a list of ids
    [ "$left" = 0 ] || dk "$d" rm -f $(dk "$d" ps -aq) >/dev/null 2>&1 || true
done

# ---- 3. memory per running container -------------------------------------------------------------
# One daemon at a time, so each MemAvailable difference is that daemon's alone (plus whatever else
# the machine does meanwhile: another job's compiler can move it by hundreds of MB).
# run_sleepers DAEMON N: N × `docker run -d --network none IMG sleep 3600`, one after the other;
# prints the number of failures; ids appended to container-ids.
run_sleepers() {
    local d=$1 n=$2 i fails=0 id
    for ((i = 0; i < n; i++)); do
        if id=$(dk "$d" run -d --network none "$IMG" sleep 3600 2>"$work/sleeper.err"); then
            echo "$id" >>"$work/container-ids"
        else
            fails=$((fails + 1))
            record mem "${d}d" error "$(head -n1 "$work/sleeper.err")"
        fi
    done
    echo "$fails"
}
# remove_all DAEMON SECTION: `docker rm -f` of every container of the daemon, then waits (60 s)
# until no per-container process of it is left. Returns 1 when some are.
remove_all() {
    local ids
    ids=$(dk "$1" ps -aq)
    # shellcheck disable=SC2086  # a list of ids
    [ -z "$ids" ] || dk "$1" rm -f $ids >/dev/null 2>"$work/rm.err" ||
        record "$2" "${1}d" error "rm -f: $(head -n1 "$work/rm.err")"
    wait_for 60 count_is "$1" mon 0
}
echo "# 3. memory per running container: $ncontainers sleeping containers per daemon" >&2
for d in berth docker; do
    name=${d}d
    sync
    if [ "$d" = berth ]; then
        # berthd's monitor zygote (started with the first container, section 1) is the daemon's
        # too: its memory goes with berthd's here and in the idle table.
        zygote=$(pgrep -f "berth-monitor zygote $B_EXEC" | head -n1 || true)
        daemon_pids="$B_PID $zygote"
        if [ -n "$zygote" ]; then
            read -r zrss zpss < <(mem_of "$zygote")
            record idle zygote rss "$zrss"; record idle zygote pss "$zpss"
        fi
    else daemon_pids="$PD_PID $(containerd_pid)"; fi
    # shellcheck disable=SC2086
    read -r _ dpss0 < <(mem_of $daemon_pids)
    avail0=$(mem_available)
    fails=$(run_sleepers "$d" "$ncontainers")
    wait_for 60 count_is "$d" sleep "$ncontainers" || true
    running=$(count_kind "$d" sleep)
    mons=$(pids_kind "$d" mon)
    # shellcheck disable=SC2086
    read -r mrss mpss < <(mem_of $mons)
    # shellcheck disable=SC2046
    read -r srss spss < <(mem_of $(pids_kind "$d" sleep))
    # shellcheck disable=SC2086
    read -r _ dpss1 < <(mem_of $daemon_pids)
    avail1=$(mem_available)
    record mem "$name" started "$((ncontainers - fails))"
    record mem "$name" running "$running"
    record mem "$name" procs "$(echo "$mons" | grep -c . || true)"
    record mem "$name" proc_rss "$mrss"; record mem "$name" proc_pss "$mpss"
    record mem "$name" sleep_rss "$srss"; record mem "$name" sleep_pss "$spss"
    record mem "$name" daemon_pss_growth "$((dpss1 - dpss0))"
    record mem "$name" avail_drop_start "$((avail0 - avail1))"
    sync
    avail2=$(mem_available)
    remove_all "$d" mem || note "$name: per-container processes still there 60 s after rm -f"
    avail3=$(mem_available)
    record mem "$name" avail_gain_rm "$((avail3 - avail2))"
done

# ---- 4. burst: N containers started at once ------------------------------------------------------
# burst DAEMON N: N background `docker run -d`; the time until all have returned (each job writes
# its end time) and N sleeps run; then one `docker rm -f` of them all, timed until no
# per-container process is left.
burst() {
    local d=$1 n=$2 name=${1}d t0 i last ok=0 t_rm0
    rm -rf "$work/burst"
    mkdir -p "$work/burst"
    burst_pids=()
    t0=$(now)
    for ((i = 0; i < n; i++)); do
        (
            rc=0
            dk "$d" run -d --network none "$IMG" sleep 3600 >"$work/burst/$i.out" 2>"$work/burst/$i.err" || rc=$?
            echo "$rc $EPOCHREALTIME" >"$work/burst/$i.done"
        ) &
        burst_pids+=($!)
    done
    # Not a bare `wait`: berthd and dockerd are jobs of this shell too.
    wait "${burst_pids[@]}" || true
    burst_pids=()
    cat "$work/burst"/*.out >>"$work/container-ids" 2>/dev/null || true
    last=$(cat "$work/burst"/*.done | awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }')
    ok=$(cat "$work/burst"/*.done | awk '$1 == 0 { n++ } END { print n + 0 }')
    record burst "$name" cli_ok "$ok"
    record burst "$name" cli_s "$(elapsed "$t0" "$last")"
    for i in $(seq 0 $((n - 1))); do
        [ ! -s "$work/burst/$i.err" ] || record burst "$name" error "$(head -n1 "$work/burst/$i.err")"
    done
    # docker run -d returns once the container started; the count confirms they all run.
    if wait_for 60 count_is "$d" sleep "$n"; then
        record burst "$name" running_s "$(elapsed "$t0")"
    fi
    record burst "$name" running "$(count_kind "$d" sleep)"
    t_rm0=$(now)
    remove_all "$d" burst || note "$name: per-container processes still there 60 s after rm -f"
    record burst "$name" rm_s "$(elapsed "$t_rm0")"
    record burst "$name" left "$(( $(dk "$d" ps -aq | wc -l) + $(count_kind "$d" mon) ))"
}
echo "# 4. burst: $nburst concurrent docker run -d per daemon" >&2
burst berth "$nburst"
burst docker "$nburst"

# Container cgroups berth should have removed with its containers.
if [ -s "$work/container-ids" ]; then
    cg_left=$(sort -u "$work/container-ids" | while read -r id; do
        find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null; done | grep -c . || true)
    [ "$cg_left" = 0 ] || note "$cg_left container cgroup dirs were left after rm -f (removed at exit)"
fi
record env - load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the table ---------------------------------------------------------------------------------
python3 - "$results" "$runs" "$ncontainers" "$nburst" "$json_out" <<'PY'
import json, sys
from collections import defaultdict

path, runs, ncont, nburst, json_out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data = defaultdict(lambda: defaultdict(dict))
errors = defaultdict(list)
notes = []
with open(path) as f:
    for line in f:
        sec, row, key, val = line.rstrip("\n").split("\t", 3)
        if key == "error":
            errors[(sec, row)].append(val)
        elif key == "note":
            notes.append(val)
        else:
            data[sec][row][key] = val

def percentile(values, q):
    """Linear interpolation between closest ranks, as in runtime_start.py."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)

def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))

env = data["env"]["-"]
out = {"env": dict(env), "e2e": {}, "idle": {}, "per_container": {}, "burst": {}, "notes": notes}
print(f"berth daemon benchmark, {env['started']}: {env['host']}, load average {env['load_start']} at start, {env['load_end']} at end")
print(f"  berthd: {env['berthd']}")
print(f"  dockerd: {env['dockerd']}")
print(f"  client: {env['docker_cli']}; image: {env['image']}")
print()

# 1. end to end
labels = {"berth-cli:berthd": "berth CLI -> berthd", "docker-cli:berthd": "docker CLI -> berthd",
          "docker-cli:dockerd": "docker CLI -> dockerd"}
stats = {}
for row in labels:
    d = data["e2e"].get(row, {})
    if d.get("samples"):
        v = [float(x) for x in d["samples"].split(",")]
        stats[row] = {"ok": len(v), "runs": runs, "median_ms": percentile(v, 50), "min_ms": min(v),
                      "p90_ms": percentile(v, 90), "samples_ms": v}
    else:
        stats[row] = {"failed": d.get("failed", "no successful run"), "runs": runs}
base = stats["docker-cli:dockerd"].get("median_ms")
print(f"1. run --rm --network none IMAGE true: {runs} interleaved runs per row, wall time of the client process")
rows = []
for row, label in labels.items():
    s = stats[row]
    if "failed" in s:
        rows.append([label, f"failed: {s['failed']}", "", "", "", ""])
        continue
    ratio = f"{base / s['median_ms']:.1f}x" if base else "n/a"
    s["dockerd_over_this"] = base / s["median_ms"] if base else None
    rows.append([label, f"{s['ok']}/{runs}", f"{s['median_ms']:.1f}", f"{s['min_ms']:.1f}", f"{s['p90_ms']:.1f}", ratio])
table(["client -> daemon", "ok", "median ms", "min ms", "p90 ms", "dockerd / this"], rows)
for row, label in labels.items():
    for e in errors.get(("e2e", row), [])[:3]:
        print(f"  {label} failed run: {e}")
    n = len(errors.get(("e2e", row), []))
    if n > 3:
        print(f"  {label}: {n - 3} more failed runs")
print("  target: berth 20x faster than docker end to end (dockerd / this >= 20 on the berth CLI row)")
out["e2e"] = {labels[r]: {k: v for k, v in s.items()} for r, s in stats.items()}
for r in labels:
    out["e2e"][labels[r]]["errors"] = errors.get(("e2e", r), [])
print()

# 2. idle
idle = data["idle"]
def kb(x): return int(x) if x not in (None, "") else None
b = {k: kb(idle["berthd"].get(k)) for k in ("rss", "pss")}
dk_ = {k: kb(idle["dockerd"].get(k)) for k in ("rss", "pss")}
ct = {k: kb(idle.get("containerd", {}).get(k)) for k in ("rss", "pss")}
tot = {k: (dk_[k] or 0) + (ct[k] or 0) for k in ("rss", "pss")}
zy = {k: kb(idle.get("zygote", {}).get(k)) for k in ("rss", "pss")}
print("2. idle daemon memory, right after start + one `docker version`")
zygote_rows = [] if zy["pss"] is None else [
    ["berth-monitor zygote (*)", zy["rss"], zy["pss"], ""],
    ["berthd + zygote", (b["rss"] or 0) + zy["rss"], (b["pss"] or 0) + zy["pss"], ""]]
table(["process", "RSS kB", "PSS kB", "PSS vs berthd"],
      [["berthd", b["rss"], b["pss"], "1.0x"]] + zygote_rows + [
       ["dockerd", dk_["rss"], dk_["pss"], ""],
       ["containerd", ct["rss"] if ct["rss"] is not None else "n/a", ct["pss"] if ct["pss"] is not None else "n/a", ""],
       ["dockerd + containerd", tot["rss"], tot["pss"], f"{tot['pss'] / b['pss']:.1f}x" if b["pss"] else ""]])
if zy["pss"] is not None:
    print("  (*) forks the container monitors; berthd starts it with the first container (measured at the start of 3.)")
print("  target: berthd idle <= 10 MB")
out["idle"] = {"berthd": b, "zygote": zy, "dockerd": dk_, "containerd": ct, "dockerd+containerd": tot}
print()

# 3. per container
print(f"3. memory per running container: {ncont} x `docker run -d --network none IMAGE sleep 3600`, one daemon at a time (per container, kB)")
rows = []
procname = {"berthd": "berth-monitor", "dockerd": "containerd-shim"}
for name in ("berthd", "dockerd"):
    m = data["mem"].get(name, {})
    if not m:
        continue
    n = ncont
    per = lambda key: f"{int(m[key]) / n:.0f}"
    rows.append([name, f"{m['running']}/{n}", f"{m['procs']} x {procname[name]}", per("proc_pss"), per("proc_rss"),
                 per("sleep_pss"), per("daemon_pss_growth"), per("avail_drop_start"), per("avail_gain_rm")])
    out["per_container"][name] = {k: int(v) for k, v in m.items()}
    out["per_container"][name]["per_container_pss_kb"] = int(m["proc_pss"]) / n
    out["per_container"][name]["memavailable_drop_per_container_kb"] = int(m["avail_drop_start"]) / n
    out["per_container"][name]["errors"] = errors.get(("mem", name), [])
table(["daemon", "running", "per-container procs", "PSS", "RSS", "sleep PSS", "daemon PSS +", "MemAvail drop", "MemAvail back at rm"], rows)
pc = out["per_container"]
if pc.get("berthd", {}).get("proc_pss") and pc.get("dockerd", {}).get("proc_pss"):
    print(f"  per-container PSS: dockerd / berthd = {pc['dockerd']['proc_pss'] / pc['berthd']['proc_pss']:.1f}x")
print("  PSS / RSS: the per-container processes (berth-monitor; containerd-shim-runc-v2, runc exits after start), summed, / N")
print("  sleep PSS: the containers' own busybox sleep; daemon PSS +: growth of berthd / dockerd+containerd over the N starts")
print("  MemAvail drop: MemAvailable before - after starting the N, / N; back at rm: after rm -f - before, / N. These include")
print("  the container's sleep, kernel memory (namespaces, cgroups, overlay mount), daemon growth and anything else the machine did")
print("  target: per running container overhead <= 0.5 MB (512 kB) for berth (containerd-shim: ~5 MB)")
for name in ("berthd", "dockerd"):
    for e in errors.get(("mem", name), [])[:3]:
        print(f"  {name} error: {e}")
print()

# 4. burst
print(f"4. {nburst} containers started at once: {nburst} concurrent `docker run -d --network none IMAGE sleep 3600`, then one `docker rm -f` of all")
rows = []
for name in ("berthd", "dockerd"):
    m = data["burst"].get(name, {})
    if not m:
        continue
    rows.append([name, f"{m['cli_ok']}/{nburst}", f"{m['running']}/{nburst}", m["cli_s"], m.get("running_s", "never"),
                 m["rm_s"], m["left"]])
    out["burst"][name] = dict(m)
    out["burst"][name]["errors"] = errors.get(("burst", name), [])
bs = {n: data["burst"].get(n, {}).get("running_s") for n in ("berthd", "dockerd")}
table(["daemon", "run -d ok", "running", "all CLIs back s", "all running s", "rm -f all s", "left"], rows)
if bs["berthd"] and bs["dockerd"]:
    print(f"  all running: dockerd / berthd = {float(bs['dockerd']) / float(bs['berthd']):.1f}x")
print("  all running s: from the first launch until every CLI returned and ps shows N live sleeps under the daemon's")
print("  per-container processes; rm -f all s: `docker rm -f` of all N, until none of those processes is left")
for name in ("berthd", "dockerd"):
    errs = errors.get(("burst", name), [])
    for e in sorted(set(errs))[:3]:
        print(f"  {name} error ({errs.count(e)}x): {e}")
for n in notes:
    print(f"  note: {n}")

if json_out:
    with open(json_out, "w") as f:
        json.dump(out, f, indent=2)
    print(f"\njson: {json_out}")
PY
