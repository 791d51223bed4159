#!/usr/bin/env bash
# CVE-2024-21626 through the docker CLI against berthd: no host fd may reach a container
# process's path resolution. berthd's containers are started by berth-monitor, which runs the
# runtime library in-process and holds the container's logs, sockets, attach connections and
# cgroup directory; a container's init and exec'd processes start as its clones. Every fd number
# from 3 to 64 is tried as `docker run -w /proc/self/fd/N`, as an image's WORKDIR and as
# `docker exec -w`: each is refused or stays inside the container, never reaching a marker file
# on the host. The container's processes hold only stdio.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

MARKER=$TMP/host-marker
echo "host file reached" >"$MARKER"
# From the cwd, climb far enough to reach any root, then look for the marker under the host's
# path. Inside the container that path does not exist.
PROBE="cd ../../../../../../../../../../../..; cat .$MARKER 2>/dev/null || echo inside"

escaped=()
# verdict NAME RC OUTPUT — the probe's result must be a refusal (rc != 0) or "inside".
verdict() {
	local name=$1 rc=$2 out=$3
	if [[ $out == *"host file reached"* ]]; then
		escaped+=("$name: $out")
	elif [ "$rc" -eq 0 ] && [ "$out" != inside ]; then
		escaped+=("$name: unexpected output (rc 0): $out")
	fi
}

# ---- docker run -w /proc/self/fd/N -----------------------------------------------------------
escaped=()
for n in $(seq 3 64); do
	out=$(docker run --rm -w "/proc/self/fd/$n" busybox sh -c "$PROBE" 2>&1)
	verdict "fd $n" $? "$out"
done
check_eq "run -w /proc/self/fd/N (N = 3…64) never reaches the host" "" \
	"$(printf '%s\n' "${escaped[@]}")"

# With a terminal and stdin attached, the monitor holds more (the terminal, the attach socket).
escaped=()
for n in $(seq 3 64); do
	out=$(docker run --rm -t -w "/proc/self/fd/$n" busybox sh -c "$PROBE" 2>&1 </dev/null)
	verdict "fd $n" $? "${out//$'\r'/}"
done
check_eq "run -t -w /proc/self/fd/N (N = 3…64) never reaches the host" "" \
	"$(printf '%s\n' "${escaped[@]}")"

# ---- an image whose WORKDIR is /proc/self/fd/N ------------------------------------------------
tar -C "$TMP/busybox-rootfs" -cf "$TMP/busybox.tar" .
escaped=()
for n in $(seq 3 64); do
	if ! docker import --change "WORKDIR /proc/self/fd/$n" "$TMP/busybox.tar" "workdir:$n" >/dev/null 2>&1; then
		escaped+=("fd $n: docker import failed")
		continue
	fi
	out=$(docker run --rm "workdir:$n" sh -c "$PROBE" 2>&1)
	verdict "fd $n" $? "$out"
	docker rmi "workdir:$n" >/dev/null 2>&1
done
check_eq "an image with WORKDIR /proc/self/fd/N (N = 3…64) never reaches the host" "" \
	"$(printf '%s\n' "${escaped[@]}")"

# ---- docker exec -w /proc/self/fd/N -------------------------------------------------------------
docker run -d --name target busybox sleep 1000 >/dev/null
escaped=()
for n in $(seq 3 64); do
	out=$(docker exec -w "/proc/self/fd/$n" target sh -c "$PROBE" 2>&1)
	verdict "fd $n" $? "$out"
done
check_eq "exec -w /proc/self/fd/N (N = 3…64) never reaches the host" "" \
	"$(printf '%s\n' "${escaped[@]}")"

# ---- what the container's processes hold ------------------------------------------------------
# fds PID — the fd numbers PID holds, as the host sees them.
fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//'
}
init_pid=$(docker inspect -f '{{.State.Pid}}' target)
check_eq "the container's init holds only stdio" "0 1 2" "$(fds "$init_pid")"
check_eq "... as the container sees it too" "0 1 2" \
	"$(docker exec target ls /proc/1/fd | sort -n | tr '\n' ' ' | sed 's/ $//')"
docker exec -d target sleep 1001
exec_pid() { pgrep -P "$init_pid" -f "sleep 1001" || pgrep -f "^sleep 1001$"; }
wait_until 10 exec_pid
check_eq "an exec'd process holds only stdio" "0 1 2" "$(fds "$(exec_pid | head -1)")"
docker run -d -i --name attached busybox sleep 1000 >/dev/null
check_eq "an init with stdin attached holds only stdio" "0 1 2" \
	"$(fds "$(docker inspect -f '{{.State.Pid}}' attached)")"

finish
