#!/usr/bin/env bash
# Entry point of `make bench` (the Makefile builds first). Builds a busybox bundle and the C launcher
# bench/spawn_measure.c (which times each run and reads its peak RSS) in a temp dir, and runs the
# start-time benchmark: berth-runtime against runc and crun, side by side, one table. The runtimes'
# state roots go into a fresh dir under /run on tmpfs, which runtime_start.py creates and removes.
#
#   bench/run.sh [runtime_start.py options]     e.g. bench/run.sh --runs 20 --json /tmp/bench.json
#
# Environment: BERTH_BIN (dir holding berth-runtime, default <repo>/build/bin), BENCH_RUNS (default
# 100), BENCH_ARGS (extra options, word-split), BUSYBOX (path of a static busybox for the rootfs),
# CC (C compiler for the launcher, default cc).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$repo/build/bin}

if [ "$(id -u)" != 0 ]; then
    echo "bench: must run as root (the runtimes create namespaces and mounts)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The bundle always comes from bench/make-bundle.sh, not from tests/fixture: the measured config is
# part of the benchmark's definition and must not change when a test fixture does.
"$here/make-bundle.sh" "$work/bundle"

# Each run is spawned from this small process, not from Python: a forked child starts from its
# parent's RSS high-water mark, so Python's ~16 MiB would be every runtime's peak RSS.
"${CC:-cc}" -O2 -o "$work/spawn_measure" "$here/spawn_measure.c"

# shellcheck disable=SC2086  # BENCH_ARGS is meant to be word-split
python3 "$here/runtime_start.py" --bundle "$work/bundle" --berth-bin "$BERTH_BIN" \
    --launcher "$work/spawn_measure" \
    --runs "${BENCH_RUNS:-100}" ${BENCH_ARGS:-} "$@"
