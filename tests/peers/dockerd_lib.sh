# shellcheck shell=bash
# dockerd_lib.sh — sourced (never run) by the peer tests and by the image fixtures and benchmarks
# that need a private dockerd or containerd. It sets no shell options and installs no traps: the
# caller does both, and calls stop_private_dockerd (or the peer_* helpers) from its EXIT trap.
#
# Private dockerd:
#   PD_DIR=/tmp/x start_private_dockerd [extra dockerd args...]
#       Starts dockerd 20.10 with everything under PD_DIR (created with mktemp under /tmp when
#       unset or empty): data-root, exec-root, pidfile, socket, log, daemon.json, CLI config. No
#       iptables, no bridge (the default network is "none"), no userland proxy, cgroupfs driver
#       with a cgroup parent of its own ($PD_CGPARENT) so every container cgroup is ours to find
#       and remove. It runs in a network namespace of its own (with only lo, up): dockerd with
#       --bridge=none deletes the link docker0 where it runs, which on the host would break a
#       system docker's default network; nothing it does to links, routes or firewall rules
#       reaches the host's (tests/peers/test_dockerd_host_network.sh checks). Waits (up to $PD_START_TIMEOUT s, default 30) until `docker info` answers,
#       then exports DOCKER_HOST and DOCKER_CONFIG (an empty config: no ~/.docker contexts).
#       Returns 1 when dockerd does not come up, with $PD_START_ERROR set to the first error line
#       of its log and the log's tail printed on stderr.
#   stop_private_dockerd [--no-rm]
#       Removes the containers while dockerd still answers (not with --no-rm: the runtime is
#       taken to be hung), stops dockerd (TERM, KILL after 15 s), kills whatever is left that
#       names PD_DIR in its command line (its containerd, shims) or sits in our cgroups, unmounts
#       everything at or below PD_DIR, removes our cgroup parent in every hierarchy (also where
#       it is nested under this session's own cgroup, as the memory controller does here), the
#       system paths dockerd created, stale shim sockets, and PD_DIR itself (kept when
#       PD_KEEP=1). Safe to call more than once and before start_private_dockerd.
#
# Variables: DOCKERD (default /usr/sbin/dockerd), DOCKER (docker CLI, default /usr/local/bin/docker,
# else docker on PATH), PD_STORAGE_DRIVER (or DOCKERD_STORAGE_DRIVER): force a storage driver.
# Set by start: PD_DIR PD_SOCK PD_LOG PD_PID PD_CGPARENT DOCKER_HOST DOCKER_CONFIG.
#
# Shared helpers (also for test_containerd.sh):
#   peer_pids_under DIR          pids whose command line names DIR/ (never this shell)
#   peer_umount_under DIR        lazily unmounts everything at or below DIR, deepest first
#   peer_cgroup_dirs NAME        dirs named NAME in every cgroup hierarchy (up to 6 levels deep)
#   peer_cgroup_pids NAME        processes in the cgroups below those dirs
#   peer_rm_cgroups NAME         removes those (empty) cgroup trees
#   peer_kill_leftovers DIR NAME SIGKILLs peer_pids_under DIR + peer_cgroup_pids NAME, 3 rounds
#   peer_record_system_paths P.. remembers which of the paths P do not exist yet, and the shim
#                                sockets in /run/containerd/s
#   peer_rm_system_paths         removes (when empty; files always) the recorded new paths and
#                                the shim sockets that appeared since and have no listener

DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER=${DOCKER:-/usr/local/bin/docker}
[ -x "$DOCKER" ] || DOCKER=$(command -v docker || true)

# ---- shared helpers -------------------------------------------------------------------------

peer_pids_under() {
    local dir=$1 p
    [ -n "$dir" ] || return 0
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        [ "$p" = "${BASHPID:-$$}" ] && continue
        if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$dir/"; then
            echo "$p"
        fi
    done
    return 0
}

peer_umount_under() {
    local root=$1 m
    [ -n "$root" ] || return 0
    awk -v root="$root" '{ if ($5 == root || index($5, root "/") == 1) print $5 }' /proc/self/mountinfo |
        sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null || true
    done
    return 0
}

# A relative cgroupsPath (dockerd's cgroupfs driver) lands below the runtime's own cgroup of each
# controller, which is not always the root: hence the search instead of /sys/fs/cgroup/*/NAME.
peer_cgroup_dirs() {
    [ -n "${1:-}" ] || return 0
    find /sys/fs/cgroup -maxdepth 6 -type d -name "$1" 2>/dev/null || true
    return 0
}

peer_cgroup_pids() {
    local h
    [ -n "${1:-}" ] || return 0
    for h in $(peer_cgroup_dirs "$1"); do
        find "$h" -name cgroup.procs -exec cat {} + 2>/dev/null || true
    done | sort -u
    return 0
}

peer_rm_cgroups() {
    local h
    [ -n "${1:-}" ] || return 0
    for h in $(peer_cgroup_dirs "$1"); do
        find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
    return 0
}

peer_kill_leftovers() {
    local dir=$1 name=${2:-} p
    for _ in 1 2 3; do
        p=$(peer_pids_under "$dir"; peer_cgroup_pids "$name")
        [ -z "$p" ] && break
        # shellcheck disable=SC2086  # a list of pids
        kill -KILL $p 2>/dev/null || true
        sleep 0.2
    done
    return 0
}

_PEER_CREATED=()
_PEER_SHIM_SOCKS_BEFORE=
peer_record_system_paths() {
    local p
    for p in "$@"; do
        [ -e "$p" ] || _PEER_CREATED+=("$p")
    done
    _PEER_SHIM_SOCKS_BEFORE=$(ls /run/containerd/s 2>/dev/null || true)
    return 0
}

peer_rm_system_paths() {
    local f p
    # Sockets of shims that had to be SIGKILLed: new since we started and nobody listening.
    # Without python3 there is no way to tell a live socket (a concurrent run's) from a dead one.
    if command -v python3 >/dev/null; then
        for f in /run/containerd/s/*; do
            [ -S "$f" ] || continue
            printf '%s\n' "$_PEER_SHIM_SOCKS_BEFORE" | grep -qxF "${f##*/}" && continue
            python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(1); s.connect(sys.argv[1])' "$f" \
                2>/dev/null || rm -f "$f"
        done
    fi
    for p in ${_PEER_CREATED[@]+"${_PEER_CREATED[@]}"}; do
        if [ -f "$p" ]; then rm -f "$p"; else rmdir "$p" 2>/dev/null || true; fi
    done
    _PEER_CREATED=()
    return 0
}

# ---- private dockerd ------------------------------------------------------------------------

PD_DIR=${PD_DIR:-}
PD_PID=
PD_CGPARENT=

# Paths outside PD_DIR that dockerd or its containerd create whatever their flags say.
_PD_SYSTEM_PATHS=(/etc/docker/key.json /etc/docker /run/docker/plugins /run/docker
    /opt/containerd/bin /opt/containerd/lib /opt/containerd
    /run/containerd/s /run/containerd/fifo /run/containerd)

# shellcheck disable=SC2120  # the extra dockerd args are optional
start_private_dockerd() {
    local started=0 i reason
    PD_START_ERROR=
    if [ ! -x "$DOCKERD" ]; then PD_START_ERROR="no dockerd at $DOCKERD"; return 1; fi
    if [ -z "$DOCKER" ] || [ ! -x "$DOCKER" ]; then PD_START_ERROR="no docker CLI"; return 1; fi
    if [ -z "$PD_DIR" ]; then
        # Short path: the containerd socket under the exec-root must fit in sun_path (108 bytes).
        PD_DIR=$(mktemp -d /tmp/berth-pd.XXXXXX) || return 1
    fi
    mkdir -p "$PD_DIR"
    chmod 711 "$PD_DIR"
    PD_SOCK=$PD_DIR/docker.sock
    PD_LOG=$PD_DIR/dockerd.log
    PD_CGPARENT=berth-peer-$(basename "$PD_DIR" | tr -c 'a-zA-Z0-9\n' -)
    peer_record_system_paths "${_PD_SYSTEM_PATHS[@]}"

    export DOCKER_HOST=unix://$PD_SOCK
    export DOCKER_CONFIG=$PD_DIR/cli
    unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
    mkdir -p "$DOCKER_CONFIG"

    echo '{}' >"$PD_DIR/daemon.json" # don't read /etc/docker/daemon.json
    local -a args=(
        --config-file "$PD_DIR/daemon.json"
        --data-root "$PD_DIR/data"
        --exec-root "$PD_DIR/exec"
        --pidfile "$PD_DIR/dockerd.pid"
        -H "unix://$PD_SOCK"
        --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false
        --bridge=none # no bridge, no NAT: the default network is "none"
        --userland-proxy=false
        --cgroup-parent "$PD_CGPARENT"
        --exec-opt native.cgroupdriver=cgroupfs
    )
    local driver=${PD_STORAGE_DRIVER:-${DOCKERD_STORAGE_DRIVER:-}}
    [ -z "$driver" ] || args+=(--storage-driver "$driver")

    # unshare and sh exec dockerd: $! is dockerd's pid.
    unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh \
        "$DOCKERD" "${args[@]}" "$@" >"$PD_LOG" 2>&1 &
    PD_PID=$!

    for ((i = 0; i < ${PD_START_TIMEOUT:-30} * 10; i++)); do
        kill -0 "$PD_PID" 2>/dev/null || break
        if [ -S "$PD_SOCK" ] && timeout 5 "$DOCKER" info --format '{{.ID}}' >/dev/null 2>&1; then
            started=1
            break
        fi
        sleep 0.1
    done
    if [ $started = 0 ]; then
        echo "# dockerd did not come up; its log ($PD_LOG):" >&2
        tail -n 40 "$PD_LOG" | sed 's/^/#   /' >&2
        reason=$(grep -m1 -iE 'level=(fatal|error)|failed to start' "$PD_LOG" | sed 's/.*msg=//' || true)
        # shellcheck disable=SC2034  # for the caller
        PD_START_ERROR=${reason:-dockerd did not answer within ${PD_START_TIMEOUT:-30}s}
        return 1
    fi
    return 0
}

# shellcheck disable=SC2120  # --no-rm is optional
stop_private_dockerd() {
    local ids
    if [ -n "$PD_PID" ] && kill -0 "$PD_PID" 2>/dev/null; then
        # Remove containers while dockerd still runs, so the runtime deletes them.
        if [ "${1:-}" != --no-rm ]; then
            ids=$(timeout -s KILL 5 "$DOCKER" ps -aq 2>/dev/null || true)
            # shellcheck disable=SC2086  # a list of ids
            [ -z "$ids" ] || timeout -s KILL 10 "$DOCKER" rm -f $ids >/dev/null 2>&1 || true
        fi
        kill -TERM "$PD_PID" 2>/dev/null || true
        for _ in $(seq 150); do
            kill -0 "$PD_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$PD_PID" 2>/dev/null; then
            echo "# dockerd did not exit after SIGTERM; sending SIGKILL" >&2
            kill -KILL "$PD_PID" 2>/dev/null || true
        fi
        wait "$PD_PID" 2>/dev/null || true
    fi
    PD_PID=
    [ -n "$PD_DIR" ] || return 0
    # dockerd's containerd, shims and container processes started from our dirs.
    peer_kill_leftovers "$PD_DIR" "$PD_CGPARENT"
    peer_umount_under "$PD_DIR"
    peer_rm_cgroups "$PD_CGPARENT"
    peer_rm_system_paths
    if [ "${PD_KEEP:-0}" = 1 ]; then
        echo "# kept $PD_DIR" >&2
    elif [ -d "$PD_DIR" ]; then
        rm -rf --one-file-system "$PD_DIR" 2>/dev/null || echo "# could not remove all of $PD_DIR" >&2
    fi
    PD_DIR=
    return 0
}
