#!/bin/bash
# Seccomp (linux.seccomp, OCI format): ERRNO and KILL rules, docker's default profile, an unknown
# action, and exec'd processes being filtered too.
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

check_eq "without seccomp, mkdir works" ok "$(run_in "$B" sh -c 'mkdir /tmp/d0 && echo ok')"

# ---- SCMP_ACT_ERRNO ----
M=$(variant errno 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}')
out=$(run_in "$M" mkdir /tmp/d)
rc=$?
check_ne "ERRNO: mkdir fails" 0 "$rc"
check_contains "ERRNO: ... with Operation not permitted (errnoRet 1)" "Operation not permitted" "$out"
check_eq "ERRNO: other syscalls still work" ok "$(run_in "$M" sh -c 'touch /tmp/f && ls /tmp/f >/dev/null && echo ok')"
check "ERRNO: the directory was not created" test ! -e "$M/rootfs/tmp/d"
M=$(variant errno13 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}')
check_contains "ERRNO: errnoRet 13 gives Permission denied" "Permission denied" "$(run_in "$M" mkdir /tmp/d)"

# ---- SCMP_ACT_KILL ----
# busybox `sync` calls sync(2); the shell does not.
M=$(variant kill 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["sync"], "action": "SCMP_ACT_KILL"}]}')
out=$(run_in "$M" sync)
rc=$?
check_eq "KILL: sync(2) kills the process with SIGSYS (exit 159)" 159 "$rc"
out=$(run_in "$M" sh -c 'sync; echo after-sync-rc=$?')
check_contains "KILL: a shell sees its child killed by SIGSYS" "after-sync-rc=159" "$out"
check_eq "KILL: processes that do not call sync(2) run" ok "$(run_in "$M" sh -c 'echo ok')"

# ---- docker's default profile ----
PROFILE=$BERTH_SRC/src/runtime/testdata/docker_default_seccomp.json
if [ -f "$PROFILE" ]; then
	M=$(variant docker 'c["linux"]["seccomp"] = json.load(open(argv[0]))' "$PROFILE")
	out=$(run_in "$M" unshare -U true)
	rc=$?
	check_ne "docker profile: unshare -U true fails" 0 "$rc"
	check_contains "docker profile: ... with Operation not permitted" "Operation not permitted" "$out"
	check_eq "docker profile: unshare -U works without the profile" ok "$(run_in "$B" sh -c 'unshare -U true && echo ok')"
	check_eq "docker profile: ordinary commands work" "ok 3" \
		"$(run_in "$M" sh -c 'mkdir /tmp/x && echo a >/tmp/x/f && ls /tmp/x | wc -l >/dev/null && ps >/dev/null && printf "ok %s" $(seq 3 | wc -l)')"
else
	skip "docker profile" "$PROFILE not found"
fi

# ---- unknown action ----
M=$(variant bogus 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}')
set_args "$M" true
id=$(cid bogus)
out=$(rt create --bundle "$M" "$id" </dev/null 2>&1)
rc=$?
check_ne "unknown action: create fails" 0 "$rc"
check_contains "unknown action: the error names the action" SCMP_ACT_BOGUS "$out"
check_fails "unknown action: no container is left behind (state fails)" rt state "$id"
check_not_contains "unknown action: ... and list does not show it" "$id" "$(rt list -q 2>&1)"
rt delete --force "$id" >/dev/null 2>&1

# ---- exec ----
M=$(variant exec 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}')
set_args "$M" sleep 1000
id=$(cid exec)
if rt create --bundle "$M" "$id" </dev/null >/dev/null 2>&1 && rt start "$id"; then
	out=$(rt exec "$id" mkdir /tmp/e 2>&1)
	rc=$?
	check_ne "exec: mkdir in an exec'd process fails" 0 "$rc"
	check_contains "exec: ... with Operation not permitted" "Operation not permitted" "$out"
	check_eq "exec: the exec'd process has a seccomp filter (Seccomp: 2)" 2 \
		"$(rt exec "$id" awk '$1 == "Seccomp:" { print $2 }' /proc/self/status 2>&1)"
	check_eq "exec: other commands work in exec" ok "$(rt exec "$id" sh -c 'echo ok' 2>&1)"
else
	_not_ok "exec: container with seccomp starts"
fi
rt delete --force "$id" >/dev/null 2>&1

finish
