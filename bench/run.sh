#!/usr/bin/env bash
# Entry point of `make bench` (the Makefile builds first). Builds a busybox bundle in a temp dir and
# runs the start-time benchmark: berth-runtime against runc and crun, side by side, one table.
#
#   bench/run.sh [runtime_start.py options]     e.g. bench/run.sh --runs 20 --json /tmp/bench.json
#
# Environment: BERTH_BIN (dir holding berth-runtime, default <repo>/build/bin), BENCH_RUNS (default
# 100), BENCH_ARGS (extra options, word-split), BUSYBOX (path of a static busybox for the rootfs).
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

# The bundle always comes from bench/make-bundle.sh, not from tests/fixture: the measured config is
# part of the benchmark's definition and must not change when a test fixture does.
"$here/make-bundle.sh" "$work/bundle"

# shellcheck disable=SC2086  # BENCH_ARGS is meant to be word-split
python3 "$here/runtime_start.py" --bundle "$work/bundle" --berth-bin "$BERTH_BIN" \
    --runs "${BENCH_RUNS:-100}" ${BENCH_ARGS:-} "$@"
