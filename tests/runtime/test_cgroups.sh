#!/bin/bash
# cgroups (v1 controllers of a hybrid host): linux.cgroupsPath + linux.resources (memory, pids,
# cpu, cpuset, devices), the OOM killer and its events, pause/resume, update, events --stats,
# ps --format json, and delete removing the cgroups.
source "$(dirname "$0")/../lib.sh"
require_root

CGROOT=/sys/fs/cgroup
for c in memory pids cpu cpuacct cpuset devices freezer; do
	[ -d "$CGROOT/$c" ] || skip_all "no cgroup v1 $c controller at $CGROOT/$c"
done

# Every container of this script gets a cgroupsPath under $CGPARENT.
CGPARENT=/berth-test-$TEST_NAME-$$
# Remove whatever the runtime left under $CGPARENT (deepest first) in every hierarchy.
on_exit 'for h in '"$CGROOT"'/*/; do [ -d "${h}'"${CGPARENT#/}"'" ] && find "${h}'"${CGPARENT#/}"'" -depth -type d -exec rmdir {} \; ; done'

B=$TMP/bundle
make_bundle "$B" || exit 1

# variant NAME 'PYTHON' [ARGS...] — a copy of the base bundle with cgroupsPath $CGPARENT/NAME,
# edited by PYTHON; prints its path.
variant() {
	local dir=$TMP/bundle-$1 name=$1 code=$2
	shift 2
	copy_bundle "$B" "$dir" &&
		edit_config "$dir" "c['linux']['cgroupsPath'] = '$CGPARENT/$name'
c['linux'].setdefault('resources', {})
$code" "$@" && echo "$dir"
}

# cg CONTROLLER NAME — the host directory of variant NAME's cgroup in CONTROLLER.
cg() {
	echo "$CGROOT/$1$CGPARENT/$2"
}

# start_bg DIR ID ARGS... — create + start a container in the background (stdio to files).
start_bg() {
	local dir=$1 id=$2
	shift 2
	set_args "$dir" "$@" || return 1
	rt create --bundle "$dir" "$id" </dev/null >"$TMP/$id.out" 2>&1 || { cat "$TMP/$id.out"; return 1; }
	rt start "$id"
}

# stat_field ID PYTHON-EXPR — evaluates EXPR on `d`, the "data" of `events --stats ID`.
stat_field() {
	rt events --stats "$1" 2>/dev/null | "$PYTHON" -c 'import json, sys
d = json.loads(sys.stdin.read().split("\n")[0])["data"]
print(eval(sys.argv[1]))' "$2"
}

# ---- memory limit and the OOM killer ----
MiB=$((1024 * 1024))
M=$(variant mem 'c["linux"]["resources"]["memory"] = {"limit": 33554432, "swap": 33554432}')
id=$(cid mem)
set_args "$M" sh -c 'head -c 200000000 /dev/zero | tail | wc -c; echo survived'
if rt create --bundle "$M" "$id" </dev/null >"$TMP/mem.out" 2>&1; then
	check_eq "memory: limit_in_bytes is 32 MiB" $((32 * MiB)) "$(cat "$(cg memory mem)/memory.limit_in_bytes")"
	# events streams until the container is gone; bounded in any case.
	timeout 20 "$RUNTIME" --root "$ROOT" events "$id" >"$TMP/mem.events" 2>&1 &
	evpid=$!
	# It prints the first stats at once: from then on it watches the OOM count.
	wait_until 20 test -s "$TMP/mem.events"
	rt start "$id"
	wait_until 20 status_is "$id" stopped
	check_eq "memory: the container stopped" stopped "$(status_of "$id")"
	out=$(cat "$TMP/mem.out")
	check_not_contains "memory: tail buffering 200 MB past a 32 MiB limit did not get through" 200000000 "$out"
	oomctl=$(cat "$(cg memory mem)/memory.oom_control" 2>&1)
	check_match "memory: memory.oom_control counts an oom_kill" 'oom_kill [1-9]' "$oomctl"
	# events ends by itself once the container has stopped, after a last look at the OOM count.
	wait $evpid
	rt delete --force "$id" >/dev/null 2>&1
	check_match "memory: events printed an oom event" '"type": *"oom"' "$(cat "$TMP/mem.events")"
else
	_not_ok "memory: create with a 32 MiB limit"
	_indent "$(cat "$TMP/mem.out")"
fi

# ---- pids limit ----
M=$(variant pids 'c["linux"]["resources"]["pids"] = {"limit": 20}')
id=$(cid pids)
if start_bg "$M" "$id" sleep 1000; then
	check_eq "pids: pids.max is 20" 20 "$(cat "$(cg pids pids)/pids.max")"
	# busybox sh gives up at the first fork that fails.
	out=$(rt exec "$id" sh -c 'for i in $(seq 50); do sleep 1000 >/dev/null 2>&1 & done; echo all-started' 2>&1)
	check_not_contains "pids: starting 50 sleeps under a limit of 20 fails" all-started "$out"
	check_contains "pids: ... with a fork error" "fork" "$out"
	cur=$(stat_field "$id" 'd["pids"]["current"]')
	check_match "pids: events --stats pids.current is a number" '^[0-9]+$' "$cur"
	check "pids: events --stats pids.current <= 20 (got $cur)" test "${cur:-99}" -le 20
	check "pids: ... and the limit was reached (>= 15, got $cur)" test "${cur:-0}" -ge 15
	check_eq "pids: events --stats pids.limit is 20" 20 "$(stat_field "$id" 'd["pids"]["limit"]')"
	check_eq "pids: events --stats type and id" "stats $id" "$(rt events --stats "$id" 2>/dev/null |
		"$PYTHON" -c 'import json,sys; e=json.load(sys.stdin); print(e["type"], e["id"])')"
	check_match "pids: events --stats memory.usage.usage is a positive number" '^[1-9][0-9]*$' \
		"$(stat_field "$id" 'd["memory"]["usage"]["usage"]')"
	check_eq "pids: the host's cgroup pids.current agrees" "$cur" "$(cat "$(cg pids pids)/pids.current")"
	rt delete --force "$id" >/dev/null 2>&1
else
	_not_ok "pids: container with pids limit 20 starts"
fi

# ---- cpu quota ----
# A busy loop under a 20% quota and the same loop without one run side by side, measured over the
# same window: what a quota does holds however busy the machine is (the suite runs tests two at
# a time, with fuzzing alongside), where a share of a CPU measured alone does not.
usage() { cat "$CGROOT/cpuacct$CGPARENT/$1/cpuacct.usage" 2>/dev/null; }
throttled() { awk '$1 == "nr_throttled" { print $2 }' "$(cg cpu "$1")/cpu.stat" 2>/dev/null; }
running() { [ "$(usage "$1")" -gt 0 ] 2>/dev/null; }
Mq=$(variant cpuq 'c["linux"]["resources"]["cpu"] = {"quota": 20000, "period": 100000}')
Mf=$(variant cpufree '')
idq=$(cid cpuq) idf=$(cid cpufree)
if start_bg "$Mq" "$idq" sh -c 'while :; do :; done' && start_bg "$Mf" "$idf" sh -c 'while :; do :; done'; then
	check_eq "cpu: cfs_quota_us" 20000 "$(cat "$(cg cpu cpuq)/cpu.cfs_quota_us")"
	check_eq "cpu: cfs_period_us" 100000 "$(cat "$(cg cpu cpuq)/cpu.cfs_period_us")"
	wait_until 20 running cpuq && wait_until 20 running cpufree
	q1=$(usage cpuq) f1=$(usage cpufree) n1=$(throttled cpuq) t1=$(date +%s%N)
	sleep 2 # the measurement window
	q2=$(usage cpuq) f2=$(usage cpufree) n2=$(throttled cpuq) t2=$(date +%s%N)
	pq=$(((q2 - q1) * 100 / (t2 - t1))) pf=$(((f2 - f1) * 100 / (t2 - t1)))
	check "cpu: a busy loop under a 20% quota uses < 30% of a CPU (got $pq%)" test "$pq" -lt 30
	if [ "$pf" -ge 30 ]; then
		# It got more than the quota allows: the limited one asked for as much and was held back.
		check "cpu: the kernel throttled the loop under the quota ($n1 -> $n2 periods)" test "$n2" -gt "$n1"
		check "cpu: side by side, the loop without a quota gets > 1.3x as much ($pf% vs $pq%)" \
			test $((pf * 10)) -gt $((pq * 13))
	else
		skip "cpu: the loop without a quota gets more" "the machine is too busy to tell: it got $pf% of a CPU"
	fi
else
	_not_ok "cpu: containers with and without a cpu quota start"
fi
rt delete --force "$idq" >/dev/null 2>&1
rt delete --force "$idf" >/dev/null 2>&1

# ---- cpuset ----
M=$(variant cpuset 'c["linux"]["resources"]["cpu"] = {"cpus": "0"}')
check_eq "cpuset: cpus \"0\" pins the container to CPU 0" 0 \
	"$(run_in "$M" awk '$1 == "Cpus_allowed_list:" { print $2 }' /proc/self/status)"

# ---- devices ----
# Deny everything; like runc, the runtime adds the standard nodes (null, zero, full, tty,
# random, urandom, ptmx, pts) and mknod. A block device the config creates stays closed.
M=$(variant dev 'c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
c["linux"]["devices"] = [{"type": "b", "path": "/dev/xloop", "major": 7, "minor": 7, "fileMode": 0o660}]')
out=$(run_in "$M" sh -c 'head -c 1 /dev/xloop' 2>&1)
rc=$?
check_ne "devices: reading a denied block device (b 7:7) fails" 0 "$rc"
check_contains "devices: ... with Operation not permitted" "Operation not permitted" "$out"
check_eq "devices: echo > /dev/null still works" ok "$(run_in "$M" sh -c 'echo x >/dev/null && echo ok')"

# ---- pause / resume ----
M=$(variant pause '')
id=$(cid pause)
counter() { cat "$M/rootfs/tmp/counter" 2>/dev/null; }
if start_bg "$M" "$id" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/counter.new; mv /tmp/counter.new /tmp/counter; sleep 0.05; done'; then
	wait_until 30 test -s "$M/rootfs/tmp/counter"
	check "pause: pause succeeds" rt pause "$id"
	check_eq "pause: state says paused" paused "$(status_of "$id")"
	check_eq "pause: freezer.state is FROZEN" FROZEN "$(cat "$(cg freezer pause)/freezer.state")"
	v1=$(counter)
	sleep 0.7 # frozen: nothing runs however long one waits
	v2=$(counter)
	check_eq "pause: the counter does not advance while paused" "$v1" "$v2"
	check "resume: resume succeeds" rt resume "$id"
	check_eq "resume: state says running" running "$(status_of "$id")"
	advanced() { [ "$(counter)" -gt "${v2:-0}" ] 2>/dev/null; }
	wait_until 30 advanced
	v3=$(counter)
	check "resume: the counter advances after resume ($v2 -> $v3)" test "${v3:-0}" -gt "${v2:-0}"
	rt delete --force "$id" >/dev/null 2>&1
else
	_not_ok "pause: counter container starts"
fi

# ---- update ----
M=$(variant upd 'c["linux"]["resources"]["memory"] = {"limit": 67108864}
c["linux"]["resources"]["pids"] = {"limit": 100}')
id=$(cid upd)
if start_bg "$M" "$id" sleep 1000; then
	check_eq "update: initial memory limit 64 MiB" $((64 * MiB)) "$(cat "$(cg memory upd)/memory.limit_in_bytes")"
	check "update: --memory 48m --pids-limit 30" rt update --memory 48m --pids-limit 30 "$id"
	check_eq "update: memory.limit_in_bytes is now 48 MiB" $((48 * MiB)) "$(cat "$(cg memory upd)/memory.limit_in_bytes")"
	check_eq "update: pids.max is now 30" 30 "$(cat "$(cg pids upd)/pids.max")"
	check_eq "update: events --stats pids.limit follows" 30 "$(stat_field "$id" 'd["pids"]["limit"]')"
	check "update: --cpu-quota 30000 --cpu-period 100000" rt update --cpu-quota 30000 --cpu-period 100000 "$id"
	check_eq "update: cpu.cfs_quota_us is now 30000" 30000 "$(cat "$(cg cpu upd)/cpu.cfs_quota_us")"
	check "update: --resources - (pids 40)" rt update --resources - "$id" <<<'{"pids": {"limit": 40}}'
	check_eq "update: pids.max is now 40" 40 "$(cat "$(cg pids upd)/pids.max")"

	# ---- ps --format json ----
	rt exec -d "$id" sleep 999 >/dev/null 2>&1
	two_procs() { [ "$(wc -l <"$(cg pids upd)/cgroup.procs")" -eq 2 ]; }
	wait_until 30 two_procs
	want=$(sort -n "$(cg pids upd)/cgroup.procs" | tr '\n' ' ')
	got=$(rt ps --format json "$id" 2>&1 | "$PYTHON" -c 'import json,sys; print(" ".join(map(str, sorted(json.load(sys.stdin)))) + " ")' 2>&1)
	check_eq "ps --format json lists exactly the pids of the container's cgroup" "$want" "$got"
	initpid=$(rt state "$id" | json_field pid)
	check_contains "ps --format json includes init ($initpid)" " $initpid " " $got"
	check "ps: two processes (init + exec'd sleep)" test "$(words "$got" | wc -w)" -eq 2

	# ---- delete removes the cgroups ----
	rt kill "$id" KILL >/dev/null 2>&1
	wait_until 30 status_is "$id" stopped
	check "delete succeeds" rt delete "$id"
	left=
	for c in memory pids cpu cpuacct cpuset devices freezer blkio; do
		[ -d "$(cg $c upd)" ] && left="$left $c"
	done
	check_eq "delete removes the cgroup directories in every controller" "" "$left"
else
	_not_ok "update: container starts"
fi

finish
