#!/usr/bin/env bash
# `make fresh-check`: does berth build and pass its unit tests on a fresh Debian 12 with nothing
# but what scripts/install-deps.sh installs? berth itself answers: a private berthd runs a
# debian:bookworm container (the image made by `berth image bootstrap debian:bookworm`, i.e.
# debootstrap minbase from the Debian archive), which gets the committed tree (`git archive
# HEAD`, as CI clones it), runs scripts/install-deps.sh, configures, builds and runs
# `ctest -L unit`. Exit status 0 when all of that passes.
#
# The container uses the host's network (--network host) and the host's apt sources and apt
# configuration (/etc/apt/sources.list*, apt.conf.d: mirror, proxy, snapshot settings), so it
# reaches the archive the host reaches. It runs --privileged with the host's /sys/fs/cgroup: the
# unit tests that need root's powers (namespaces, mounts, overlayfs, cgroups) get them as on a
# machine of one's own. The tree is built in a host directory mounted at /work, and /tmp and
# /var/tmp are ones too: the tests make overlayfs mounts and whiteouts (0:0 character devices),
# which the container's own overlayfs root refuses.
#
# usage: scripts/fresh-check.sh [BUILD_DIR (default build)]
# Environment:
#   FRESH_CHECK_ROOT  berthd's data root, kept between runs so that the image is bootstrapped
#                     once (default /var/tmp/berth-fresh-check); remove it to start over
#   FRESH_CHECK_JOBS  build jobs in the container (default: nproc)
#   FRESH_CHECK_KEEP  1: keep the container's log directory ($FRESH_CHECK_ROOT/last-run)
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
[[ $BUILD == /* ]] || BUILD=$SRC/$BUILD
BIN=$BUILD/bin
STATE=${FRESH_CHECK_ROOT:-/var/tmp/berth-fresh-check}
JOBS=${FRESH_CHECK_JOBS:-$(nproc)}
IMAGE=debian:bookworm

die() {
    echo "fresh-check: $*" >&2
    exit 2
}
[ "$(id -u)" = 0 ] || die "needs root (berthd runs the container)"
for b in berth berthd berth-runtime berth-monitor; do
    [ -x "$BIN/$b" ] || die "no $BIN/$b: build berth first (make build)"
done
git -C "$SRC" rev-parse --verify -q HEAD >/dev/null || die "$SRC is not a git checkout"

mkdir -p "$STATE"
RUN=$(mktemp -d "$STATE/run.XXXXXX")
SOCK=$RUN/berthd.sock
export BERTH_HOST=unix://$SOCK
berth() { "$BIN/berth" "$@"; }
CONTAINER=fresh-check-$$
BERTHD_PID=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # Containers outlive berthd: remove ours first.
    if [ -n "$BERTHD_PID" ]; then
        berth rm -f "$CONTAINER" >/dev/null 2>&1
        kill -TERM "$BERTHD_PID" 2>/dev/null
        wait "$BERTHD_PID" 2>/dev/null
    fi
    if [ "${FRESH_CHECK_KEEP:-0}" = 1 ]; then
        rm -rf "$STATE/last-run"
        mv "$RUN" "$STATE/last-run" && echo "fresh-check: kept $STATE/last-run"
    else
        rm -rf --one-file-system "$RUN"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
"$BIN/berthd" --config-file /dev/null --root "$STATE/root" --exec-root "$RUN/exec" \
    -H "unix://$SOCK" 2>>"$RUN/berthd.log" &
BERTHD_PID=$!
for _ in $(seq 200); do
    berth version >/dev/null 2>&1 && break
    kill -0 "$BERTHD_PID" 2>/dev/null || break
    sleep 0.1
done
berth version >/dev/null 2>&1 || { tail -20 "$RUN/berthd.log" >&2; die "berthd did not start"; }

# The image: the same archive the host's apt uses, when it names one.
if ! berth image inspect "$IMAGE" >/dev/null 2>&1; then
    mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list.d/*.list | grep -v security | head -n1 |
        sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//')
    echo "fresh-check: berth image bootstrap $IMAGE ${mirror:+--mirror $mirror}"
    berth --root "$STATE/root" image bootstrap ${mirror:+--mirror "$mirror"} "$IMAGE" ||
        die "could not bootstrap $IMAGE"
fi

# What goes in: the committed tree and the host's apt configuration.
mkdir -p "$RUN/in/apt"
git -C "$SRC" archive --format=tar -o "$RUN/in/berth.tar" HEAD || die "git archive failed"
for f in /etc/apt/sources.list /etc/apt/sources.list.d /etc/apt/apt.conf.d /etc/apt/trusted.gpg.d \
    /etc/apt/keyrings; do
    [ -e "$f" ] && cp -a "$f" "$RUN/in/apt/"
done
cat >"$RUN/in/check.sh" <<EOF
set -euo pipefail
# The host's sources replace the image's (debootstrap's sources.list names the same archive).
if [ -e /in/apt/sources.list ] || [ -n "\$(ls /in/apt/sources.list.d 2>/dev/null)" ]; then
    rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
fi
cp -a /in/apt/. /etc/apt/
mkdir -p /work/berth && tar -xf /in/berth.tar -C /work/berth && cd /work/berth
echo "== scripts/install-deps.sh"; t=\$SECONDS
bash scripts/install-deps.sh
echo "== installed in \$((SECONDS - t))s; cmake"; t=\$SECONDS
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j $JOBS >/out/build.log 2>&1 || { tail -40 /out/build.log; exit 1; }
echo "== built in \$((SECONDS - t))s; ctest -L unit"; t=\$SECONDS
cd build && ctest -L unit -j $JOBS --output-on-failure >/out/ctest.log 2>&1 || { grep -vE '^ *[0-9]+/[0-9]+ Test' /out/ctest.log | tail -60; exit 1; }
grep -E 'tests passed|tests failed' /out/ctest.log
echo "== unit tests ran in \$((SECONDS - t))s"
EOF
mkdir -p "$RUN/out" "$RUN/work" "$RUN/tmp" "$RUN/var-tmp"
chmod 1777 "$RUN/tmp" "$RUN/var-tmp"

echo "fresh-check: building $(git -C "$SRC" rev-parse --short HEAD) in a fresh $IMAGE container"
# In the background: a signal's trap runs at once (cleanup removes the container).
berth run --name "$CONTAINER" --rm --privileged --network host -v /sys/fs/cgroup:/sys/fs/cgroup \
    -v "$RUN/in:/in:ro" -v "$RUN/out:/out" -v "$RUN/work:/work" -v "$RUN/tmp:/tmp" \
    -v "$RUN/var-tmp:/var/tmp" "$IMAGE" bash /in/check.sh </dev/null &
wait $!
rc=$?
if [ $rc = 0 ]; then
    echo "fresh-check: passed in $((SECONDS - start))s"
else
    echo "fresh-check: FAILED (exit status $rc) after $((SECONDS - start))s; logs in $STATE/last-run/out" >&2
    FRESH_CHECK_KEEP=1
fi
exit $rc
