#!/usr/bin/env bash
# CVE-2019-5736 under berthd: a container must never be able to overwrite the host's
# berth-monitor. berthd's built-in runtime puts processes into containers from berth-monitor
# (a container's init is a clone of its monitor, forked by the monitor zygote; an exec'd process
# a clone of a `berth-monitor exec`), so `--entrypoint /proc/self/exe` or `docker exec C
# /proc/self/exe` runs berth-monitor inside the container, and any process there can take a
# handle on it through /proc/PID/exe. While some monitor runs the binary, "text file busy" stops
# a write; once none does (berthd stopped, its monitors gone), the handle would do, unless the
# monitors run from a copy that cannot be written.
#
# berthd runs from a private copy of the binaries. A "watcher" process in the container scans
# /proc for processes that are not its busybox, holds their exe open and keeps trying `echo PWNED
# >> /proc/self/fd/N`. The victim, berth-monitor run inside the container, is made to wait by
# pointing it at a FIFO as its monitor.json: as an exec'd process (`docker exec W /proc/self/exe
# container /shared/block`) or as the container's own init (`--entrypoint /proc/self/exe`). Each
# round starts a fresh berthd, so the container is its first: the zygote has just been started.
# Once the watcher holds the victim's exe, the test takes the same handle from the watcher (as
# an attacker would keep it), stops every container and berthd, waits until no process runs the
# binary, and tries to write through the handle. berth-monitor's sha256 must be unchanged and no
# write may succeed, with the default capabilities and with CAP_SYS_PTRACE. A positive control
# first proves that a writable binary caught this way is overwritten. Last, berth-monitor started
# from its file on disk by something else than berthd must move to a protected copy itself.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"
command -v nsenter >/dev/null || skip_all "nsenter (util-linux) is not installed"

# berthd finds berth-monitor next to itself: a vulnerable build only damages these copies.
mkdir -p "$TMP/bin"
cp "$BERTH_BIN/berthd" "$BERTH_BIN/berth-monitor" "$BERTH_BIN/berth-init" "$TMP/bin/"
BERTHD=$TMP/bin/berthd
MONITOR=$TMP/bin/berth-monitor
sha_before=$(sha256sum "$MONITOR" | cut -d' ' -f1)

start_berthd
import_busybox

cat >"$TMP/watch.sh" <<'WATCHER'
log=/shared/log
seen=" $$ "
denied=" "
held=""
next=3
try_writes() {
	for n in $held; do
		if { command echo PWNED >>/proc/self/fd/$n; } 2>/dev/null; then
			echo "WROTE fd=$n target=$(readlink /proc/self/fd/$n)" >>$log
		fi
	done
}
touch /shared/ready
while :; do
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		case "$seen" in *" $p "*) continue ;; esac
		seen="$seen$p "
		[ $next -le 9 ] || continue
		if { command eval "exec $next<\"\$d/exe\""; } 2>/dev/null; then
			# The container's own programs are all busybox; anything else came from the host.
			keep=yes
			for n in $held; do
				[ /proc/self/fd/$next -ef /proc/self/fd/$n ] && keep=no
			done
			[ /proc/self/fd/$next -ef /bin/busybox ] && keep=no
			if [ $keep = no ]; then
				eval "exec $next<&-"
				echo "known pid=$p" >>$log
				continue
			fi
			echo "opened pid=$p fd=$next target=$(readlink /proc/self/fd/$next)" >>$log
			held="$held $next"
			next=$((next + 1))
		elif [ -e "$d" ]; then
			# Not dumpable (a runtime process before its exec): look again next time.
			seen=${seen% $p }" "
			case "$denied" in *" $p "*) ;; *)
				denied="$denied$p "
				echo "denied pid=$p" >>$log
				;;
			esac
		fi
	done
	try_writes
	[ -e /shared/stop ] && exec sleep 1000
	usleep 10000
done
WATCHER

# protection.py PID — how PID's executable is protected: read-only (on a read-only mount),
# sealed (a sealed memfd) or writable.
cat >"$TMP/protection.py" <<'EOF'
import fcntl, os, sys
fd = os.open("/proc/%s/exe" % sys.argv[1], os.O_RDONLY)
try:
    seals = fcntl.fcntl(fd, 1034)  # F_GET_SEALS
except OSError:
    seals = 0
if os.fstatvfs(fd).f_flag & os.ST_RDONLY:
    print("read-only")
else:
    print("sealed" if seals & 8 else "writable")  # F_SEAL_WRITE
EOF

# runs_binary FILE — true while some process executes FILE (its inode, through any mount).
runs_binary() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		[ "$exe" -ef "$1" ] 2>/dev/null && return 0
	done
	return 1
}
no_process_runs() { ! runs_binary "$1"; }

# attempt NAME CAPS MODE — one round against a fresh berthd. MODE "exec": the victim is a
# `docker exec` of /proc/self/exe; "init": the container's own entrypoint is /proc/self/exe;
# "control": a writable copy of a host binary entered into the container's pid namespace.
attempt() {
	local name=$1 caps=$2 mode=$3
	local shared=$TMP/shared-$name target=$MONITOR wid wpid n sha log held written control_pid=""
	local cap_args=()
	[ -n "$caps" ] && cap_args=(--cap-add "$caps")
	mkdir -p "$shared/block"
	cp "$TMP/watch.sh" "$shared/watch-$$.sh"
	# The victim berth-monitor opens this as its monitor.json and waits for a writer.
	mkfifo "$shared/block/monitor.json"

	stop_berthd
	start_berthd
	if [ "$mode" = init ]; then
		wid=$(docker run -d "${cap_args[@]}" -v "$shared:/shared" --entrypoint /proc/self/exe \
			busybox container /shared/block 2>"$TMP/$name.err")
		docker exec -d "$wid" sh "/shared/watch-$$.sh" 2>>"$TMP/$name.err"
	else
		wid=$(docker run -d "${cap_args[@]}" -v "$shared:/shared" busybox sh "/shared/watch-$$.sh" \
			2>"$TMP/$name.err")
	fi
	if ! check "$name: the watcher is watching" wait_until 20 test -e "$shared/ready"; then
		_indent "$(cat "$TMP/$name.err")"
		return
	fi
	wpid=$(pgrep -f "watch-$$.sh" | head -1)

	case $mode in
	control)
		target=$TMP/control/busybox
		mkdir -p "$TMP/control"
		cp "$(command -v busybox)" "$target"
		nsenter --target "$(docker inspect -f '{{.State.Pid}}' "$wid")" --pid -- "$target" sh -c \
			"i=0; while [ ! -e $shared/release ] && [ \$i -lt 200 ]; do usleep 50000; i=\$((i+1)); done" &
		control_pid=$!
		;;
	exec)
		docker exec -d "$wid" /proc/self/exe container /shared/block 2>>"$TMP/$name.err"
		;;
	esac
	check "$name: the watcher holds the exe of a berth-monitor run in the container" \
		wait_until 20 grep -q '^opened' "$shared/log"
	log=$(cat "$shared/log" 2>/dev/null)
	# Keep the watcher's handle, as an attacker would, past the end of everything that runs it.
	n=$(sed -n 's/^opened pid=[0-9]* fd=\([0-9]*\) .*/\1/p' "$shared/log" | head -1)
	if [ -n "$n" ] && exec {held}<"/proc/$wpid/fd/$n"; then
		# Release the victim (it exits: that is no monitor configuration) and stop everything.
		touch "$shared/release"
		[ "$mode" != control ] && timeout 10 sh -c "echo 'not json' >'$shared/block/monitor.json'"
		[ -n "$control_pid" ] && wait "$control_pid"
		touch "$shared/stop"
		docker rm -f "$wid" >/dev/null 2>&1
		stop_berthd
		check "$name: then no process runs the binary any more" wait_until 20 no_process_runs "$target"
		written=no
		{ command echo PWNED >>"/proc/$BASHPID/fd/$held"; } 2>/dev/null && written=yes
		exec {held}<&-
	else
		_not_ok "$name: take the watcher's handle"
		written=unknown
	fi
	_indent "$log"
	sha=$(sha256sum "$target" | cut -d' ' -f1)
	if [ "$mode" = control ]; then
		check_eq "$name: a write through the handle succeeds on a writable binary (positive control)" \
			yes "$written"
		check_ne "$name: ... and really changed it" \
			"$(sha256sum "$(command -v busybox)" | cut -d' ' -f1)" "$sha"
	else
		check_not_contains "$name: no write from inside the container succeeded" WROTE "$log"
		check_eq "$name: no write through the container's handle succeeded" no "$written"
		check_eq "$name: berth-monitor on disk is unchanged" "$sha_before" "$sha"
	fi
	rm -rf "$shared"
}

attempt control "SYS_PTRACE" control
attempt exec "" exec
attempt exec-ptrace "SYS_PTRACE" exec
attempt init "" init
attempt init-ptrace "SYS_PTRACE" init

start_berthd
check_eq "containers still run" "ok" "$(docker run --rm busybox echo ok 2>&1)"

# berth-monitor started from its file on disk by anything but berthd (an older berthd, a script)
# moves to a protected copy of itself before it does anything else: here it then waits on a
# FIFO as its exec.json, and its executable is a read-only or sealed file.
mkdir -p "$TMP/direct"
mkfifo "$TMP/direct/exec.json"
"$MONITOR" exec "$TMP/direct" 3>/dev/null &
direct_pid=$!
exe_moved() { [ "$(readlink "/proc/$direct_pid/exe")" != "$MONITOR" ]; }
wait_until 10 exe_moved
check_match "berth-monitor run from its file on disk re-executes from a protected copy" \
	"^(read-only|sealed)$" "$("$PYTHON" "$TMP/protection.py" "$direct_pid")"
echo x >"$TMP/direct/exec.json"
wait "$direct_pid" 2>/dev/null
finish
