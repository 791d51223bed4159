#!/bin/bash
# The container process: args, env, cwd, user and groups, umask, capabilities, no_new_privs,
# rlimits, oom_score_adj, sysctls, and which file descriptors it inherits.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1

# variant NAME 'PYTHON' [ARGS...] — a copy of the base bundle edited by PYTHON; prints its path.
variant() {
	local dir=$TMP/bundle-$1 code=$2
	shift 2
	copy_bundle "$B" "$dir" && edit_config "$dir" "$code" "$@" && echo "$dir"
}

# status_field DIR FIELD — a field of /proc/self/status inside a container of bundle DIR.
status_field() {
	run_in "$1" awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' /proc/self/status
}

# capmask CAP_NUMBER... — the 16-hex-digit mask /proc/self/status prints for those capabilities.
capmask() {
	local m=0 n
	for n in "$@"; do m=$((m | (1 << n))); done
	printf '%016x' "$m"
}

# ---- args and env ----
check_eq "args are passed verbatim (spaces, empty, quotes)" "[a b][][\"q\"][\$HOME]" \
	"$(run_in "$B" printf '[%s]' 'a b' '' '"q"' '$HOME')"
M=$(variant env 'c["process"]["env"] += ["FOO=bar", "WITH_SPACE=a b", "EMPTY="]')
env_out=$(run_in "$M" env)
check_contains "env: FOO=bar is set" "FOO=bar" "$env_out"
check_contains "env: a value with a space is kept" "WITH_SPACE=a b" "$env_out"
check_contains "env: an empty value is kept" "EMPTY=" "$env_out"
check_contains "env: PATH from the config" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$env_out"
check_not_contains "env: the caller's environment does not leak in" "BERTH_LEAK_CHECK" \
	"$(BERTH_LEAK_CHECK=1 run_in "$M" env)"
check_eq "env: HOME is set from /etc/passwd when the config has none" /root "$(run_in "$B" sh -c 'echo $HOME')"

# ---- cwd ----
M=$(variant cwd 'c["process"]["cwd"] = "/tmp"')
check_eq "cwd from the config" /tmp "$(run_in "$M" pwd)"
check_eq "default cwd is /" / "$(run_in "$B" pwd)"

# ---- user ----
M=$(variant user 'c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 65534]}')
check_eq "user: id -u" 1000 "$(run_in "$M" id -u)"
check_eq "user: id -g" 1001 "$(run_in "$M" id -g)"
check_eq "user: supplementary groups are exactly additionalGids" "5 65534" "$(status_field "$M" Groups)"
check_match "user: id shows the groups" 'uid=1000 gid=1001 groups=.*5\(tty\).*65534\(nogroup\)' "$(run_in "$M" id)"
check_eq "user: root has no supplementary groups by default" "" "$(status_field "$B" Groups)"
# All of uid/euid/suid/fsuid are set.
check_eq "user: real, effective, saved and fs uid are all 1000" "1000 1000 1000 1000" "$(status_field "$M" Uid | tr -s '\t ' ' ')"
check_fails "user: uid 1000 cannot write root's home" run_in "$M" touch /root/x

# ---- umask ----
M=$(variant umask 'c["process"]["user"]["umask"] = 0o077')
check_eq "umask from the config" 0077 "$(run_in "$M" sh -c umask)"
check_eq "a file created under umask 077 is 600" 600 "$(run_in "$M" sh -c 'touch /tmp/f && stat -c %a /tmp/f')"
check_eq "default umask is 0022" 0022 "$(run_in "$B" sh -c umask)"

# ---- capabilities ----
# CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10, CAP_AUDIT_WRITE = 29.
want=$(capmask 5 10)
M=$(variant caps '
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
del c["process"]["capabilities"]["ambient"]')
caps=$(run_in "$M" grep ^Cap /proc/self/status)
check_contains "CapEff is exactly NET_BIND_SERVICE+KILL" "CapEff:	$want" "$caps"
check_contains "CapPrm is exactly NET_BIND_SERVICE+KILL" "CapPrm:	$want" "$caps"
check_contains "CapBnd is exactly NET_BIND_SERVICE+KILL" "CapBnd:	$want" "$caps"
check_contains "CapInh is empty when not configured" "CapInh:	0000000000000000" "$caps"
check_contains "CapAmb is empty when not configured" "CapAmb:	0000000000000000" "$caps"
# The default bundle (runc spec's three capabilities).
check_eq "default CapEff is AUDIT_WRITE+KILL+NET_BIND_SERVICE" "$(capmask 5 10 29)" "$(status_field "$B" CapEff)"
check_fails "without CAP_SYS_ADMIN, mount fails" run_in "$B" mount -t tmpfs none /mnt
check_fails "without CAP_CHOWN, chown of another's file fails" run_in "$B" sh -c 'touch /tmp/o && chown 1:1 /tmp/o'
# A non-root user keeps capabilities through ambient (+inheritable).
M=$(variant capsuser '
c["process"]["user"] = {"uid": 1000, "gid": 1000}
c["process"]["noNewPrivileges"] = False
for k in ("bounding", "effective", "permitted", "inheritable", "ambient"):
    c["process"]["capabilities"][k] = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]')
caps=$(run_in "$M" grep ^Cap /proc/self/status)
check_contains "non-root user: CapEff via ambient" "CapEff:	$want" "$caps"
check_contains "non-root user: CapAmb" "CapAmb:	$want" "$caps"
check_contains "non-root user: CapInh" "CapInh:	$want" "$caps"

# ---- noNewPrivileges ----
check_eq "noNewPrivileges: true sets NoNewPrivs" 1 "$(status_field "$B" NoNewPrivs)"
M=$(variant nnp 'c["process"]["noNewPrivileges"] = False')
check_eq "noNewPrivileges: false leaves NoNewPrivs 0" 0 "$(status_field "$M" NoNewPrivs)"

# ---- rlimits ----
M=$(variant rlimits 'c["process"]["rlimits"] = [
    {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048},
    {"type": "RLIMIT_NPROC", "soft": 777, "hard": 888},
    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]')
check_eq "rlimits: ulimit -n shows the soft NOFILE" 512 "$(run_in "$M" sh -c 'ulimit -n')"
limits=$(run_in "$M" cat /proc/self/limits)
check_match "rlimits: NOFILE soft and hard" 'Max open files +512 +2048 ' "$limits"
check_match "rlimits: NPROC soft and hard" 'Max processes +777 +888 ' "$limits"
check_match "rlimits: CORE soft and hard" 'Max core file size +0 +0 ' "$limits"
check_eq "rlimits: default bundle NOFILE is 1024" 1024 "$(run_in "$B" sh -c 'ulimit -n')"

# ---- oomScoreAdj ----
M=$(variant oom 'c["process"]["oomScoreAdj"] = 500')
check_eq "oomScoreAdj is applied" 500 "$(run_in "$M" cat /proc/self/oom_score_adj)"

# ---- sysctl ----
host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
host_shmmax=$(cat /proc/sys/kernel/shmmax)
M=$(variant sysctl 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789",
    "net.ipv4.ping_group_range": "0 0"}')
out=$(run_in "$M" sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax')
check_eq "sysctl: net.ipv4.ip_forward=1 inside the net namespace, kernel.shmmax in the ipc namespace" \
	"1 123456789" "$(words "$out")"
check_eq "sysctl: the host's ip_forward is unchanged" "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "sysctl: the host's shmmax is unchanged" "$host_shmmax" "$(cat /proc/sys/kernel/shmmax)"
# A sysctl of a namespace the container does not own (net without a network namespace) is refused.
M=$(variant sysctlbad '
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}')
check_fails "sysctl: net.* without a network namespace is refused" run_in "$M" true
check_eq "sysctl: ... and the host's ip_forward is still unchanged" "$host_fwd" "$(cat /proc/sys/net/ipv4/ip_forward)"

# ---- file descriptors ----
# An fd open in the caller (9) must not reach the container: only 0 1 2 and the one ls opens.
exec 9>"$TMP/fd9"
check_eq "the caller's other fds are closed in the container" "0 1 2 3" "$(words "$(run_in "$B" ls /proc/self/fd)")"
exec 9>&-
# --preserve-fds 1 passes fd 3 through.
echo preserved-content >"$TMP/fd3"
set_args "$B" sh -c 'cat <&3; ls /proc/self/fd'
id=$(cid preserve)
out=$(rt run --preserve-fds 1 --bundle "$B" "$id" 3<"$TMP/fd3" </dev/null 2>&1)
check_contains "--preserve-fds 1: fd 3 is readable in the container" preserved-content "$out"
check_eq "--preserve-fds 1: fds are 0 1 2 3 (+ ls's own)" "preserved-content 0 1 2 3 4" "$(words "$out")"
rt delete --force "$id" >/dev/null 2>&1
# Without --preserve-fds, fd 3 is closed even if the caller has it open.
id=$(cid nopreserve)
out=$(rt run --bundle "$B" "$id" 3<"$TMP/fd3" </dev/null 2>&1)
check_not_contains "without --preserve-fds, fd 3 does not reach the container" preserved-content "$out"
rt delete --force "$id" >/dev/null 2>&1

finish
