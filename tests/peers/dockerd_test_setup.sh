# shellcheck shell=bash
# dockerd_test_setup.sh — sourced by test_dockerd.sh and test_dockerd_resources.sh: the check
# helpers, the private dockerd with berth-runtime registered, the busybox test image, the docker
# wrapper with a deadline, and the cleanup trap they share. Set before sourcing:
#   PEER_TEST        the script's name for the log line
#   PEER_TMP_PREFIX  the temp dir's prefix under /tmp (short: containerd's socket path is limited)
#   PEER_PYTHON_USE  what the script needs python3 for (said when it is missing)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BERTH_SRC=${BERTH_SRC:-$(cd "$HERE/../.." && pwd)}
# start_private_dockerd / stop_private_dockerd, DOCKERD and DOCKER defaults, cleanup helpers.
# shellcheck source-path=SCRIPTDIR source=dockerd_lib.sh
. "$HERE/dockerd_lib.sh"
RUNTIME=${RUNTIME:-${BERTH_BIN:-$BERTH_SRC/build/bin}/berth-runtime}
# Accept a bare name (RUNTIME=runc).
if [[ $RUNTIME != */* ]] && command -v "$RUNTIME" >/dev/null 2>&1; then RUNTIME=$(command -v "$RUNTIME"); fi
BUSYBOX=${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}
IMG=berth-test-busybox:latest
RT=berth                     # the name dockerd knows the runtime by
CMD_TIMEOUT=${CMD_TIMEOUT:-30}

PASS=0
FAIL=0
ok()     { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip()   { echo "skip - $*"; echo "0 passed, 0 failed"; exit 77; }
note()   { sed 's/^/#   /' >&2; }
# wait_for SECONDS CMD... — polls CMD every 50 ms until it succeeds (0) or SECONDS pass (1).
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$DOCKERD" ] || skip "no dockerd at $DOCKERD"
[ -x "$DOCKER" ] || skip "no docker CLI"
[ -x "$BUSYBOX" ] || skip "no static busybox (apt-get install busybox-static)"
command -v python3 >/dev/null || skip "no python3 (needed for $PEER_PYTHON_USE)"
if [ ! -x "$RUNTIME" ]; then
    not_ok "runtime binary $RUNTIME is not executable (build it or set RUNTIME/BERTH_BIN)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
RUNTIME=$(readlink -f "$RUNTIME")

# Short path: the containerd socket under --exec-root must fit in sun_path (108 bytes).
# The private dockerd keeps everything in this dir (PD_DIR), which stop_private_dockerd removes.
TMP=$(mktemp -d "/tmp/$PEER_TMP_PREFIX.XXXXXX")
echo "# $PEER_TEST: RUNTIME=$RUNTIME TMP=$TMP"
PD_DIR=$TMP
PD_KEEP=${KEEP_TMP:-0}
LOG=$TMP/dockerd.log

# docker with a deadline; after 3 timed-out commands the runtime is taken to be hung and
# later commands fail at once (so a hanging runtime cannot stretch the run past ~3 minutes).
TIMEOUTS=0
d() {
    local rc
    if [ "$TIMEOUTS" -ge 3 ]; then echo "skipped: earlier docker commands timed out" >&2; return 124; fi
    # SIGKILL: an attached `docker run` forwards SIGTERM to the container and keeps waiting.
    timeout -s KILL "$CMD_TIMEOUT" "$DOCKER" "$@"
    rc=$?
    if [ $rc = 137 ]; then
        TIMEOUTS=$((TIMEOUTS + 1)); echo "timed out after ${CMD_TIMEOUT}s: docker $*" >&2
    fi
    return $rc
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # After 3 timed-out commands the runtime is taken to be hung: no `docker rm` first.
    if [ "${TIMEOUTS:-0}" -lt 3 ]; then stop_private_dockerd; else stop_private_dockerd --no-rm; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- start dockerd ----------------------------------------------------------------------
# (own data-root, exec-root, socket; no iptables, no bridge; cgroupfs driver with a cgroup parent
# of its own, $PD_CGPARENT, so every container cgroup is ours to check and remove)
start_private_dockerd --add-runtime "$RT=$RUNTIME" ||
    skip "dockerd cannot start on this machine: $PD_START_ERROR"
# shellcheck disable=SC2034  # for the tests that source this file
CGPARENT=$PD_CGPARENT
"$DOCKER" info 2>/dev/null | grep -q "Runtimes:.*\b$RT\b" ||
    { echo "# dockerd does not list runtime $RT" >&2; "$DOCKER" info 2>&1 | note; }

# --- the test image: busybox rootfs imported as a single layer ---------------------------
ROOTFS=$TMP/rootfs
mkdir -p "$ROOTFS"/{bin,etc,tmp,root,proc,sys,dev}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$BUSYBOX" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOTFS/etc/passwd"
echo 'root:x:0:' >"$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"
if tar -C "$ROOTFS" -c . | d import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' - "$IMG" >/dev/null 2>"$TMP/import.err"; then
    ok "docker import busybox image"
else
    not_ok "docker import busybox image"; note <"$TMP/import.err"
    echo "$PASS passed, $FAIL failed"; exit 1
fi

# --- checks -------------------------------------------------------------------------------
# run CMD... : runs it, leaves stdout in $OUT, stderr in $ERR, exit code in $RC
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
show() { { echo "exit $RC"; echo "stdout: $OUT"; echo "stderr: $ERR"; } | note; }
dump_log_tail() { echo "# dockerd log tail:" >&2; tail -n 15 "$LOG" | note; }
