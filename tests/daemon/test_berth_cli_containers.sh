#!/usr/bin/env bash
# The same user journey as test_docker_cli_containers.sh, driven by berth's own CLI instead of
# the docker CLI: run, ps, logs, exec, run -it, inspect, events, stats, wait, cp, diff, export,
# restart policies, health checks, and the daemon's errors.
BERTH_BIN=${BERTH_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
DOCKER=$BERTH_BIN/berth exec bash "$(dirname "$0")/test_docker_cli_containers.sh"
