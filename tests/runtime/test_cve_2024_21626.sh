#!/bin/bash
# CVE-2024-21626: no host file descriptor may reach a container process's path resolution.
#
# The container's init (and an exec'd process) starts as a copy of the runtime; whatever the
# runtime holds open (its cgroup directory, state files, sockets) stays reachable through
# /proc/self/fd/N until execve, close-on-exec or not. A cwd of /proc/self/fd/N then lands in a
# host directory, and `cd ../..` walks to the host's /. Every fd number from 3 to 64 is tried as
# the cwd of `run`, `create` and `exec` (with a cgroup, whose directory the runtime opens): each
# is refused or stays inside the container, never reaching a marker file on the host. A host
# directory passed on purpose with --preserve-fds must not become the cwd either (the cwd is
# checked to lie inside the root). The container's processes hold only stdio and what was
# preserved, and an init waiting for `start` is not dumpable: a process of another container in
# its pid namespace cannot look at its fds or environment.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1
# own_cgroup DIR NAME — a cgroup of its own for DIR's container (one shared would go with the
# first container deleted).
own_cgroup() {
	edit_config "$1" 'c["linux"]["cgroupsPath"] = "/%s" % argv[0]' "$(cid "$2")"
}
MARKER=$TMP/host-marker
echo "host file reached" >"$MARKER"
# Run in the container: from the cwd, climb far enough to reach any root, then look for the
# marker under the host's path. Inside the container that path does not exist.
PROBE="cd ../../../../../../../../../../../..; cat .$MARKER 2>/dev/null || echo inside"

# bundles_for_fds — $TMP/fd-bundles/N for N = 3…64: the bundle's config (same rootfs) with
# cwd /proc/self/fd/N, the probe as its process, and a cgroup of its own.
bundles_for_fds() {
	"$PYTHON" - "$B" "$TMP/fd-bundles" "$PROBE" "$(cid fd)" <<'EOF'
import json, os, sys
src, dst, probe, cgroup = sys.argv[1:5]
with open(os.path.join(src, "config.json")) as f:
    base = json.load(f)
base["root"]["path"] = os.path.join(src, "rootfs")
for n in range(3, 65):
    c = json.loads(json.dumps(base))
    c["process"]["cwd"] = "/proc/self/fd/%d" % n
    c["process"]["args"] = ["sh", "-c", probe]
    c["linux"]["cgroupsPath"] = "/%s-%d" % (cgroup, n)
    d = os.path.join(dst, str(n))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f)
EOF
}
bundles_for_fds || exit 1

# verdict NAME RC OUTPUT — the probe's result: refused (rc != 0, no marker) or inside.
escaped=()
verdict() {
	local name=$1 rc=$2 out=$3
	if [[ $out == *"host file reached"* ]]; then
		escaped+=("$name: $out")
	elif [ "$rc" -eq 0 ] && [ "$out" != inside ]; then
		escaped+=("$name: unexpected output (rc 0): $out")
	fi
}

# ---- run and create/start with cwd /proc/self/fd/N -----------------------------------------
escaped=()
for n in $(seq 3 64); do
	id=$(cid "run-$n")
	out=$(rt run --bundle "$TMP/fd-bundles/$n" "$id" </dev/null 2>&1)
	verdict "fd $n" $? "$out"
	rt delete --force "$id" >/dev/null 2>&1
done
check_eq "run: no cwd /proc/self/fd/N (N = 3…64) reaches the host" "" "$(printf '%s\n' "${escaped[@]}")"

escaped=()
for n in $(seq 3 64); do
	id=$(cid "create-$n")
	# To a file: a created init holds its stdout until it has run.
	rt create --bundle "$TMP/fd-bundles/$n" "$id" </dev/null >"$TMP/create.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		rt start "$id" >>"$TMP/create.out" 2>&1
		wait_until 10 status_is "$id" stopped
	fi
	verdict "fd $n" "$rc" "$(cat "$TMP/create.out")"
	rt delete --force "$id" >/dev/null 2>&1
done
check_eq "create: no cwd /proc/self/fd/N (N = 3…64) reaches the host" "" "$(printf '%s\n' "${escaped[@]}")"

# ---- exec --cwd /proc/self/fd/N ----------------------------------------------------------------
W=$TMP/bundle-target
copy_bundle "$B" "$W"
set_args "$W" sleep 1000
own_cgroup "$W" target
target=$(cid target)
rt run -d --pid-file "$TMP/target.pid" --bundle "$W" "$target" </dev/null >/dev/null 2>"$TMP/target.err"
check_eq "a running target for exec" running "$(status_of "$target")" || _indent "$(cat "$TMP/target.err")"
escaped=()
for n in $(seq 3 64); do
	out=$(rt exec --cwd "/proc/self/fd/$n" "$target" sh -c "$PROBE" </dev/null 2>&1)
	verdict "fd $n" $? "$out"
done
check_eq "exec: no --cwd /proc/self/fd/N (N = 3…64) reaches the host" "" "$(printf '%s\n' "${escaped[@]}")"

# ---- a host directory preserved on purpose is still no cwd -----------------------------------
mkdir -p "$TMP/hostdir"
out=$(rt run --preserve-fds 1 --bundle "$TMP/fd-bundles/3" "$(cid preserved)" </dev/null 3<"$TMP/hostdir" 2>&1)
rc=$?
check_ne "run --preserve-fds 1 with cwd /proc/self/fd/3 (a host directory) fails" 0 "$rc"
check_contains "... naming the cwd outside the container's root" "outside" "$out"
check_not_contains "... and does not reach the host" "host file reached" "$out"
out=$(rt exec --preserve-fds 1 --cwd /proc/self/fd/3 "$target" sh -c "$PROBE" </dev/null 3<"$TMP/hostdir" 2>&1)
rc=$?
check_ne "exec --preserve-fds 1 --cwd /proc/self/fd/3 (a host directory) fails" 0 "$rc"
check_contains "... naming the cwd outside the container's root" "outside" "$out"

# ---- what the container's processes hold -------------------------------------------------------
# fds PID — the fd numbers PID holds, as the host sees them.
fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//'
}
init_pid=$(cat "$TMP/target.pid" 2>/dev/null)
check_eq "the container's init holds only stdio" "0 1 2" "$(fds "${init_pid:-0}")"
rt exec -d --pid-file "$TMP/exec.pid" "$target" sleep 1000 </dev/null >/dev/null 2>&1
check_eq "an exec'd process holds only stdio" "0 1 2" "$(fds "$(cat "$TMP/exec.pid" 2>/dev/null || echo 0)")"
P=$TMP/bundle-preserve
copy_bundle "$W" "$P"
own_cgroup "$P" preserve
rt run -d --preserve-fds 1 --pid-file "$TMP/preserve.pid" --bundle "$P" "$(cid preserve)" \
	</dev/null >/dev/null 2>&1 3<"$MARKER"
check_eq "with --preserve-fds 1 the init holds stdio and fd 3" "0 1 2 3" \
	"$(fds "$(cat "$TMP/preserve.pid" 2>/dev/null || echo 0)")"
check_eq "... and the container sees the same" "0 1 2 3" \
	"$(rt exec "$(cid preserve)" ls /proc/1/fd </dev/null 2>&1 | sort -n | tr '\n' ' ' | sed 's/ $//')"

# An init waiting for `start` runs the runtime's code: it holds no directory, and a process of a
# container sharing its pid namespace cannot look into it (it is not dumpable).
V=$TMP/bundle-victim
copy_bundle "$B" "$V"
own_cgroup "$V" victim
edit_config "$V" '
c["process"]["args"] = ["true"]
for n in c["linux"]["namespaces"]:
    if n["type"] == "pid":
        n["path"] = "/proc/%s/ns/pid" % argv[0]' "${init_pid:-0}"
victim=$(cid victim)
if rt create --pid-file "$TMP/victim.pid" --bundle "$V" "$victim" </dev/null >/dev/null 2>"$TMP/victim.err"; then
	vpid=$(cat "$TMP/victim.pid")
	dirs=""
	for f in /proc/"$vpid"/fd/*; do
		[ -d "$f" ] && dirs="$dirs ${f##*/}->$(readlink "$f")"
	done
	check_eq "an init waiting for start holds no directory fd" "" "$dirs"
	nspid=$(awk '/^NSpid:/ { print $NF }' "/proc/$vpid/status")
	out=$(rt exec "$target" sh -c "cat /proc/$nspid/environ >/dev/null && echo readable; readlink /proc/$nspid/cwd && echo followed; readlink /proc/$nspid/fd/0 && echo followed" </dev/null 2>&1)
	check_not_contains "another container cannot read the waiting init's environment" readable "$out"
	check_not_contains "... nor follow its cwd or fds" followed "$out"
	rt delete --force "$victim" >/dev/null 2>&1
else
	_not_ok "create of a container joining the target's pid namespace"
	_indent "$(cat "$TMP/victim.err")"
fi

finish
