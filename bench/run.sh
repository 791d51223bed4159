#!/usr/bin/env bash
# Entry point of `make bench` (the Makefile builds first). Builds a busybox bundle and the C launcher
# bench/spawn_measure.c (which times each run and reads its peak RSS) in a temp dir, and runs the
# start-time benchmark: berth-runtime against runc and crun, side by side, one table; then a second
# table "limits + seccomp" (memory + pids limits in a cgroup per run, Docker's default seccomp profile)
# for berth-runtime and runc. The runtimes' state roots go into a fresh dir under /run on tmpfs, which
# runtime_start.py creates and removes. --json FILE gets both tables ({"tables": [plain, limits]}).
#
#   bench/run.sh [runtime_start.py options]     e.g. bench/run.sh --runs 20 --json /tmp/bench.json
#
# Environment: BERTH_BIN (dir holding berth-runtime, default <repo>/build/bin), BENCH_RUNS (default
# 100), BENCH_ARGS (extra options, word-split), BUSYBOX (path of a static busybox for the rootfs),
# CC (C compiler for the launcher, default cc).
#
#   bench/run.sh images [image_load.sh options]  the image load benchmark instead: `load -i` of a
#                                                ~500 MB image into docker, podman and berth, and
#                                                layer unpack (bench/image_load.sh; see README.md)
#   bench/run.sh daemon [daemon_bench.sh options] the daemon benchmark: berthd against a private
#                                                dockerd: run --rm latency, idle memory, memory per
#                                                container, 50 starts at once (bench/daemon_bench.sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$repo/build/bin}

if [ "$(id -u)" != 0 ]; then
    echo "bench: must run as root (the runtimes create namespaces and mounts)" >&2
    exit 1
fi

if [ "${1:-}" = images ]; then
    shift
    exec "$here/image_load.sh" "$@"
fi

if [ "${1:-}" = daemon ]; then
    shift
    exec "$here/daemon_bench.sh" "$@"
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

# Our own --json handling: each table writes its own file, merged into FILE at the end.
json_out=
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --json) json_out=${2:?--json needs a file}; shift 2 ;;
        --json=*) json_out=${1#--json=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done

# Table 1: the plain bundle.
# shellcheck disable=SC2086  # BENCH_ARGS is meant to be word-split
python3 "$here/runtime_start.py" --bundle "$work/bundle" --berth-bin "$BERTH_BIN" \
    --launcher "$work/spawn_measure" --json "$work/plain.json" \
    --runs "${BENCH_RUNS:-100}" ${BENCH_ARGS:-} ${args[@]+"${args[@]}"}

# Table 2, "limits + seccomp": the same workload with a memory limit (256 MiB) and a pids limit (100)
# in a fresh cgroup per run (cgroupsPath /berth-bench-<pid>/<container id>), and Docker's default
# seccomp profile (OCI form, src/runtime/testdata/docker_default_seccomp.json). berth-runtime and runc
# only: crun refuses hybrid cgroup hosts such as this project's VM. The runtimes must remove each run's
# cgroup on delete; the parent is ours and is removed on exit (leftover children are reported).
cgparent=berth-bench-$$
seccomp=$repo/src/runtime/testdata/docker_default_seccomp.json
cg_remove() {
    local h left=
    for h in /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/"$cgparent"; do
        [ -d "$h" ] || continue
        if [ -n "$(find "$h" -mindepth 1 -type d 2>/dev/null | head -n1)" ]; then
            left="$left $h"
        fi
        find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    [ -z "$left" ] || echo "bench: container cgroups were left under$left (removed)" >&2
}
trap 'cg_remove; rm -rf --one-file-system "$work"' EXIT

echo
echo
# shellcheck disable=SC2086
python3 "$here/runtime_start.py" --bundle "$work/bundle" --berth-bin "$BERTH_BIN" \
    --launcher "$work/spawn_measure" --json "$work/limits.json" \
    --runs "${BENCH_RUNS:-100}" ${BENCH_ARGS:-} ${args[@]+"${args[@]}"} \
    --only berth-runtime,runc --label "limits + seccomp" \
    --extra-config 'c["linux"]["resources"] = {"memory": {"limit": 256 << 20}, "pids": {"limit": 100}}' \
    --extra-config "c[\"linux\"][\"cgroupsPath\"] = \"/$cgparent/{id}\"" \
    --extra-config "c[\"linux\"][\"seccomp\"] = load_json(\"$seccomp\")"
cg_remove

if [ -n "$json_out" ]; then
    python3 - "$work/plain.json" "$work/limits.json" "$json_out" <<'PY'
import json, sys
plain, limits, out = sys.argv[1:]
with open(plain) as f: a = json.load(f)
with open(limits) as f: b = json.load(f)
a["label"] = a.get("label") or "plain"
with open(out, "w") as f:
    json.dump({"tables": [a, b]}, f, indent=2)
PY
    echo "both tables: $json_out (\"tables\": [plain, limits + seccomp])"
fi
