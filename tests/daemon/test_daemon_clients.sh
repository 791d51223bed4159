#!/usr/bin/env bash
# berthd survives its clients: thousands of idle connections cost no threads and leave the API
# answering; a slowloris client is dropped at the header timeout; out of threads (a cgroup's
# pids.max) it refuses requests with a 503 and serves again afterwards, where it used to abort;
# out of file descriptors it pauses accepting instead of spinning.
source "$(dirname "$0")/../lib.sh"

require_root
source "$(dirname "$0")/berthd_lib.sh"
"$PYTHON" -c 'import socket' 2>/dev/null || skip_all "python3 is not installed"
FLOOD_PY=$TESTS_DIR/daemon/client_flood.py

start_berthd

threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# User and system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# flood_start MODE [N] — client_flood.py holding its connections in the background.
flood_start() {
	rm -f "$TMP/flood.in" "$TMP/flood.out"
	mkfifo "$TMP/flood.in"
	"$PYTHON" "$FLOOD_PY" "$SOCK" "$@" <"$TMP/flood.in" >"$TMP/flood.out" 2>&1 &
	FLOOD_PID=$!
	exec {FLOOD_HOLD}>"$TMP/flood.in"
	wait_until 120 grep -q '^ready' "$TMP/flood.out"
	FLOOD_READY=$(grep '^ready' "$TMP/flood.out")
}
flood_stop() {
	exec {FLOOD_HOLD}>&-
	wait "$FLOOD_PID" 2>/dev/null
}
on_exit 'kill -KILL $FLOOD_PID'

# ---- thousands of idle connections -------------------------------------------------------------
rss_before=$(rss_kb "$BERTHD_PID")
flood_start idle 3000
check_eq "3000 connections open (silent, half a header, kept alive)" "ready 3000" "$FLOOD_READY"
check "docker version answers next to them" docker version
threads=$(threads_of "$BERTHD_PID")
check "berthd holds no thread per connection ($threads threads)" test "$threads" -lt 64
grown=$(($(rss_kb "$BERTHD_PID") - rss_before))
check "... nor a buffer: under 10 MB for all of them (grew ${grown} KB)" test "$grown" -lt 10240
flood_stop
check "berthd is alive after they left" kill -0 "$BERTHD_PID"

# ---- slowloris ---------------------------------------------------------------------------------
# A header line every half second, never the end: dropped 10 s after connecting.
took=$("$PYTHON" "$FLOOD_PY" "$SOCK" slowloris)
check_match "a slowloris client is dropped (after ${took}s)" '^[0-9]+\.[0-9]$' "$took"
check "... at the header timeout, not before ($took s >= 9)" awk -v t="$took" 'BEGIN { exit !(t >= 9 && t < 40) }'

# ---- out of threads ----------------------------------------------------------------------------
PIDS_CGROUP=/sys/fs/cgroup/pids/berth-$TEST_NAME-$$
if [ -w /sys/fs/cgroup/pids/cgroup.procs ] && mkdir "$PIDS_CGROUP" 2>/dev/null; then
	on_exit "echo $BERTHD_PID >/sys/fs/cgroup/pids/cgroup.procs; rmdir $PIDS_CGROUP"
	echo "$BERTHD_PID" >"$PIDS_CGROUP/cgroup.procs"
	# Room for two more threads than it has: a flood of streams needs forty.
	echo $(($(cat "$PIDS_CGROUP/pids.current") + 2)) >"$PIDS_CGROUP/pids.max"
	flood_start stream 40
	read -r _ started refused <<<"$FLOOD_READY"
	[[ ${started:-} =~ ^[0-9]+$ && ${refused:-} =~ ^[0-9]+$ ]] || started=0 refused=0
	check "under pids.max, some event streams start ($started)" test "${started:-0}" -ge 1
	check "... and the rest get a 503, not an aborted daemon ($refused refused)" \
		test "${refused:-0}" -ge 1 -a $((started + refused)) -eq 40
	check "berthd is alive" kill -0 "$BERTHD_PID"
	check_contains "berthd says why it refused" "no thread can be started" "$(cat "$TMP/berthd.log")"
	check "... in few lines, not one per request" \
		test "$(grep -c "no thread can be started" "$TMP/berthd.log")" -lt 10
	flood_stop
	# The streams end as their clients hang up, and give their threads back.
	check "once the flood has gone, docker version answers" wait_until 30 docker version
	check "docker ps answers" docker ps
	echo "$BERTHD_PID" >/sys/fs/cgroup/pids/cgroup.procs
else
	skip "out of threads" "no writable pids cgroup"
fi

# ---- out of file descriptors -------------------------------------------------------------------
read -r soft hard < <(prlimit --pid "$BERTHD_PID" --nofile --noheadings --raw --output=SOFT,HARD)
open_fds=$(find "/proc/$BERTHD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
prlimit --pid "$BERTHD_PID" --nofile=$((open_fds + 8)):"$hard"
on_exit "prlimit --pid $BERTHD_PID --nofile=$soft:$hard"
# Silent connections cannot be given up for others (unlike idle keep-alives): accept() fails.
flood_start silent 40
check "accepting fails with EMFILE" wait_until 20 grep -q "cannot accept connections: Too many open files" "$TMP/berthd.log"
hz=$(getconf CLK_TCK)
before=$(cpu_ticks "$BERTHD_PID")
start_ns=$(date +%s%N)
sleep 3 # the window over which CPU time is measured, not a wait for some state
used=$(($(cpu_ticks "$BERTHD_PID") - before))
window_ticks=$((($(date +%s%N) - start_ns) * hz / 1000000000))
check "an fd-exhausted berthd does not spin ($used of $window_ticks ticks)" \
	test $((used * 100)) -lt $((window_ticks * 15))
flood_stop
prlimit --pid "$BERTHD_PID" --nofile="$soft":"$hard"
check "with descriptors free again, docker version answers" wait_until 20 docker version

finish
