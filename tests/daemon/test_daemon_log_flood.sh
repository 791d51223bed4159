#!/usr/bin/env bash
# A container writes 1 GB of logs as fast as it can (4000-byte lines, yes-like) with
# --log-opt max-size=1m --log-opt max-file=2, while a `docker logs -f` follows it: the files on
# disk never hold more than max-size × max-file plus one entry, the monitor (the writer) and
# berthd stay small, the follower sees the end, and `docker logs` afterwards prints only the
# retained tail, whole lines only, ending with the last one.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

MAX_SIZE=1000000 # docker's units are decimal: 1m
LINE_BYTES=4000
# An entry: the line, JSON-quoted, with its stream and time; no entry is longer than this.
MAX_ENTRY=$((LINE_BYTES + 200))

start_berthd
import_busybox
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status" 2>/dev/null; }
berthd_hwm_before=$(kb VmHWM "$BERTHD_PID")

docker run -d --name flood --log-opt max-size=1m --log-opt max-file=2 busybox \
	sh -c "yes \$(head -c $LINE_BYTES /dev/zero | tr '\\0' x) | head -c $(((LINE_BYTES + 1) * 250000)); echo END" \
	>/dev/null
ID=$(docker inspect -f '{{.Id}}' flood)
LOG=$DATA_ROOT/containers/$ID/$ID-json.log
monitor_pid=$(pgrep -f "berth-monitor container $EXEC_ROOT/containers/$ID" | head -1)
check "the container's monitor runs" test -n "$monitor_pid"
docker logs -f flood 2>&1 | tail -n 1 >"$TMP/follow.last" &
follower=$!

# Sampled while the flood runs: the bytes on disk, the monitor's and berthd's memory.
max_disk=0 max_monitor_hwm=0 samples=0
sample_until_done() {
	local disk hwm
	disk=$(stat -c %s "$LOG" "$LOG.1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	[ "$disk" -gt "$max_disk" ] && max_disk=$disk
	hwm=$(kb VmHWM "$monitor_pid")
	[ -n "$hwm" ] && [ "$hwm" -gt "$max_monitor_hwm" ] && max_monitor_hwm=$hwm
	samples=$((samples + 1))
	[ "$(docker inspect -f '{{.State.Running}}' flood 2>/dev/null)" = false ]
}
started=$SECONDS
wait_until 400 sample_until_done # not under `check`: its subshell would keep the samples
check_eq "the flood ends (1 GB through the monitor)" "false" "$(docker inspect -f '{{.State.Running}}' flood)"
echo "# 1 GB in $((SECONDS - started)) s, $samples samples"
check "the flood was sampled while it ran" test "$samples" -ge 3 -a "$max_monitor_hwm" -gt 0
check_eq "it ran to its end" "0" "$(docker inspect -f '{{.State.ExitCode}}' flood)"
check "the log files never held more than max-size x max-file plus one entry ($max_disk bytes)" \
	test "$max_disk" -le $((2 * MAX_SIZE + MAX_ENTRY))
check_fails "no third file" test -e "$LOG.2"
check "the monitor stayed small (VmHWM ${max_monitor_hwm} kB)" test "$max_monitor_hwm" -lt 20000
check "the follower ends with the container" wait_until 60 sh -c "! kill -0 $follower 2>/dev/null"
check_eq "the follower saw the last line" "END" "$(cat "$TMP/follow.last")"
berthd_hwm_after=$(kb VmHWM "$BERTHD_PID")
check "berthd stayed small through the flood and its follower (VmHWM $berthd_hwm_before -> $berthd_hwm_after kB)" \
	test $((berthd_hwm_after - berthd_hwm_before)) -lt 32768

docker logs flood >"$TMP/tail.out" 2>&1
check_eq "docker logs ends with the last line" "END" "$(tail -n 1 "$TMP/tail.out")"
lines=$(wc -l <"$TMP/tail.out")
check "docker logs prints only the retained tail ($lines lines)" \
	test "$lines" -le $((2 * MAX_SIZE / LINE_BYTES + 2))
check "and all of it: more than one file's worth" test "$lines" -gt $((MAX_SIZE / MAX_ENTRY))
check_eq "whole lines only" "" \
	"$(grep -v -x -E "x{$LINE_BYTES}|END" "$TMP/tail.out" | head -c 200)"
finish
