#!/bin/bash
# Namespaces: the container gets its own uts, pid, net, ipc and mount namespaces, can join an
# existing one by path, and can run in a user namespace and a time namespace.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1
edit_config "$B" 'c["hostname"] = "ns-test-host"'

# ns_inode TYPE — the host's namespace link, e.g. "net:[4026531840]".
host_ns() {
	readlink "/proc/self/ns/$1"
}

# ---- uts ----
check_eq "hostname comes from the config" ns-test-host "$(run_in "$B" hostname)"
check_ne "the host's hostname is not the container's" ns-test-host "$(hostname)"

# ---- pid ----
check_eq "the process is pid 1" 1 "$(run_in "$B" sh -c 'echo $$')"
# Only the container's own processes are visible: sh (1) and ps.
nproc=$(run_in "$B" sh -c 'ls -d /proc/[0-9]* | wc -l')
check "only the container's processes are visible in /proc (saw $nproc)" test "${nproc:-99}" -le 3

# ---- net ----
ifaces=$(run_in "$B" awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev)
check_eq "only lo in a new network namespace" lo "$ifaces"
# runc and crun bring the loopback up in a network namespace they make (docker's `--network none`).
check_eq "lo is up in a new network namespace (IFF_UP|IFF_LOOPBACK)" 0x9 \
	"$(run_in "$B" cat /sys/class/net/lo/flags)"
# A listener on 127.0.0.1 answers (tried until it listens).
check_eq "a server on 127.0.0.1 answers" hi "$(run_in "$B" sh -c 'nc -l -p 7777 -e echo hi &
for i in $(seq 200); do out=$(nc 127.0.0.1 7777 </dev/null 2>/dev/null) && [ -n "$out" ] &&
{ echo "$out"; break; }; done')"

# ---- namespace identities differ from the host's ----
for ns in ipc uts net pid mnt; do
	inside=$(run_in "$B" readlink "/proc/self/ns/$ns")
	check_match "$ns namespace link is readable inside" "^$ns:\[[0-9]+\]$" "$inside"
	check_ne "$ns namespace differs from the host's" "$(host_ns "$ns")" "$inside"
done
# Without a cgroup namespace in the config, the host's is kept (cgroups come later).
check_eq "no cgroup namespace entry keeps the host's cgroup namespace" "$(host_ns cgroup)" \
	"$(run_in "$B" readlink /proc/self/ns/cgroup)"

# A namespace left out of the config is shared with the host.
B2=$TMP/bundle-hostnet
copy_bundle "$B" "$B2"
edit_config "$B2" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
check_eq "no network namespace entry shares the host's" "$(host_ns net)" \
	"$(run_in "$B2" readlink /proc/self/ns/net)"

# ---- joining an existing network namespace by path ----
netns=berth-$$
if ip netns add "$netns" 2>/dev/null; then
	on_exit "ip netns del $netns"
	# A dummy interface, or a veth pair where the dummy module is missing.
	ip -n "$netns" link add berthdummy0 type dummy 2>/dev/null ||
		ip -n "$netns" link add berthdummy0 type veth peer name berthdummy1
	B3=$TMP/bundle-joinnet
	copy_bundle "$B" "$B3"
	edit_config "$B3" '
for n in c["linux"]["namespaces"]:
    if n["type"] == "network":
        n["path"] = argv[0]' "/var/run/netns/$netns"
	out=$(run_in "$B3" cat /proc/net/dev)
	check_contains "joined network namespace shows its dummy interface" berthdummy0 "$out"
	want="net:[$(stat -L -c %i "/var/run/netns/$netns")]"
	check_eq "joined network namespace is the one at the path" "$want" \
		"$(run_in "$B3" readlink /proc/self/ns/net)"
	# A path that is not a namespace fails.
	edit_config "$B3" '
for n in c["linux"]["namespaces"]:
    if n["type"] == "network":
        n["path"] = "/etc/hostname"'
	check_fails "joining a namespace path that is not a namespace fails" run_in "$B3" true
else
	skip "joining an existing network namespace" "ip netns add failed"
fi

# ---- user namespace ----
if [ -e /proc/self/ns/user ] && [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ]; then
	U=$TMP/bundle-userns
	copy_bundle "$B" "$U"
	# The container's root is host uid 100000: it must own (or at least read) its rootfs.
	chown -R 100000:100000 "$U/rootfs"
	edit_config "$U" '
c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	out=$(run_in "$U" cat /proc/self/uid_map)
	check_eq "uid_map shows the configured mapping" "0 100000 65536" "$(words "$out")"
	out=$(run_in "$U" cat /proc/self/gid_map)
	check_eq "gid_map shows the configured mapping" "0 100000 65536" "$(words "$out")"
	check_eq "id -u is 0 inside the user namespace" 0 "$(run_in "$U" id -u)"
	check_eq "id -g is 0 inside the user namespace" 0 "$(run_in "$U" id -g)"
	check_ne "user namespace differs from the host's" "$(host_ns user)" \
		"$(run_in "$U" readlink /proc/self/ns/user)"
	# Its network namespace is made inside it: its root may configure it.
	check_eq "lo is up in the user namespace's new network namespace" 0x9 \
		"$(run_in "$U" cat /sys/class/net/lo/flags)"
	U2=$TMP/bundle-userns-netadmin
	copy_bundle "$U" "$U2"
	edit_config "$U2" '
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = c["process"]["capabilities"].get(k, []) + ["CAP_NET_ADMIN"]'
	check_eq "the user namespace's root with CAP_NET_ADMIN may configure its network (lo mtu)" \
		1500 "$(run_in "$U2" sh -c 'ip link set lo mtu 1500 && cat /sys/class/net/lo/mtu')"
	# Seen from the host, the container's process runs as uid 100000.
	set_args "$U" sleep 1000
	id=$(cid userns)
	rt run -d --bundle "$U" --pid-file "$TMP/userns.pid" "$id" </dev/null >/dev/null 2>"$TMP/userns.err"
	pid=$(cat "$TMP/userns.pid" 2>/dev/null)
	host_uid=$(awk '/^Uid:/ { print $2 }' "/proc/${pid:-0}/status" 2>/dev/null)
	check_eq "the container process is host uid 100000" 100000 "$host_uid"
	rt delete --force "$id" >/dev/null 2>&1
	# Files the container creates belong to host uid 100000.
	run_in "$U" touch /tmp/made-inside >/dev/null
	check_eq "a file created inside belongs to host uid 100000" 100000 \
		"$(stat -c %u "$U/rootfs/tmp/made-inside" 2>/dev/null)"
else
	skip "user namespace" "user namespaces are not available on this kernel"
fi

# ---- time namespace ----
if [ ! -e /proc/self/ns/time ]; then
	skip "time namespace" "the kernel has no time namespaces"
elif runc_before 1.2; then
	skip "time namespace" "runc 1.1.5 does not support the time namespace (added in runc 1.2)"
else
	T=$TMP/bundle-timens
	copy_bundle "$B" "$T"
	offset=864000 # ten days
	edit_config "$T" '
c["linux"]["namespaces"].append({"type": "time"})
c["linux"]["timeOffsets"] = {"boottime": {"secs": int(argv[0]), "nanosecs": 0},
                             "monotonic": {"secs": int(argv[0]), "nanosecs": 0}}' "$offset"
	offsets=$(run_in "$T" cat /proc/self/timens_offsets)
	check_match "timens_offsets shows the monotonic offset" "monotonic[[:space:]]+${offset}[[:space:]]+0" "$offsets"
	check_match "timens_offsets shows the boottime offset" "boottime[[:space:]]+${offset}[[:space:]]+0" "$offsets"
	host_up=$(cut -d. -f1 /proc/uptime)
	inside_up=$(run_in "$T" cut -d. -f1 /proc/uptime)
	[[ $inside_up =~ ^[0-9]+$ ]] || inside_up=0
	diff=$((inside_up - host_up))
	check "uptime inside grows by the boottime offset (diff ${diff}s)" \
		test "$diff" -ge $((offset - 2)) -a "$diff" -le $((offset + 30))
	check_ne "time namespace differs from the host's" "$(host_ns time)" \
		"$(run_in "$T" readlink /proc/self/ns/time)"
	# With a user namespace of its own too, and an oom_score_adj: the init writes both into
	# /proc/self while it is not dumpable.
	if [ -n "${U:-}" ]; then
		UT=$TMP/bundle-userns-timens
		copy_bundle "$U" "$UT"
		edit_config "$UT" '
c["linux"]["namespaces"].append({"type": "time"})
c["linux"]["timeOffsets"] = {"monotonic": {"secs": int(argv[0]), "nanosecs": 0}}
c["process"]["oomScoreAdj"] = 500' "$offset"
		out=$(run_in "$UT" sh -c 'cat /proc/self/oom_score_adj /proc/self/timens_offsets')
		check_match "user + time namespace: the offsets and oom_score_adj are set" \
			"^500.*monotonic[[:space:]]+${offset}[[:space:]]+0" "$(words "$out")"
	fi
fi

finish
