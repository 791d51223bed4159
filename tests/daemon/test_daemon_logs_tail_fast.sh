#!/usr/bin/env bash
# `docker logs --tail N` of a container writing as fast as it can returns the last N lines every
# time (issue 18: it printed nothing about half the time): exactly N lines, consecutive numbers,
# 20 tries, without and with max-size rotation. (The tail was counted back from the file's size
# at the time of the scan while the read stopped at its size when opened, so a file that grew in
# between had its tail past where the read ended.)
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox
# shellcheck disable=SC2016 # (expanded by the container's shell)
writer='i=0; while :; do echo "line $i"; i=$((i+1)); done'
docker run -d --name plain busybox sh -c "$writer" >/dev/null
docker run -d --name rotating --log-opt max-size=100k --log-opt max-file=2 busybox \
	sh -c "$writer" >/dev/null
has_lines() { [ "$(docker logs --tail 10 "$1" 2>/dev/null | wc -l)" -ge 10 ]; }

# tail_ok NAME N — the output of one `logs --tail N`: N lines "line K", K consecutive.
tail_ok() {
	local out
	out=$(docker logs --tail "$2" "$1" 2>&1) || return 1
	[ "$(printf '%s\n' "$out" | grep -c .)" -eq "$2" ] || return 1
	printf '%s\n' "$out" | awk '$1 != "line" || (NR > 1 && $2 != prev + 1) { bad = 1 } { prev = $2 } END { exit bad }'
}
for name in plain rotating; do
	check "$name: the writer has written" wait_until 30 has_lines "$name"
	for n in 5 50; do
		failures=0
		for _ in $(seq 20); do
			tail_ok "$name" "$n" || failures=$((failures + 1))
		done
		check_eq "$name: --tail $n gives the last $n consecutive lines, 20 times out of 20" "0" "$failures"
	done
done
finish
