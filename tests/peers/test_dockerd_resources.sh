#!/usr/bin/env bash
# Peer test: resources, seccomp and cgroup-backed commands through docker. A private dockerd (with
# the containerd it starts itself) runs containers through berth-runtime, registered with
# `--add-runtime berth=$RUNTIME`, and the checks look at what a user notices: --memory (OOM kill),
# --pids-limit, --cpus, --cpuset-cpus, --device, seccomp default vs unconfined, pause/unpause,
# update, stats and top. The dockerd setup and cleanup come from dockerd_test_setup.sh.
#
#   RUNTIME     runtime binary under test (default ${BERTH_BIN:-<repo>/build/bin}/berth-runtime);
#               RUNTIME=runc (or /usr/sbin/runc) validates the test itself.
#   DOCKERD     dockerd binary (default /usr/sbin/dockerd)
#   DOCKER      docker CLI (default /usr/local/bin/docker, falling back to docker on PATH)
#   DOCKERD_STORAGE_DRIVER  force a storage driver (default: dockerd picks; overlay2 here)
#   KEEP_TMP=1  keep the temp dir (logs) after the run
#
# Needs root. Never touches a system dockerd: everything lives in one temp dir.
# Output: `ok - ...` / `not ok - ...` per check, then `N passed, M failed`.
# Exit: 0 all passed, 1 a check failed, 77 skipped (dockerd cannot start here).
PEER_TEST=test_dockerd_resources
PEER_TMP_PREFIX=berth-dockres
PEER_PYTHON_USE="the cleanup"
# shellcheck source-path=SCRIPTDIR source=dockerd_test_setup.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dockerd_test_setup.sh"
# COND; check NAME : ok/not ok on the exit status of the condition just tested; shows the last run on failure
check() { if [ $? = 0 ]; then ok "$1"; else not_ok "$1"; show; fi; }
# The host cgroup dir of container $1 in controller $2, from /proc/$PID/cgroup: dockerd's cgroupfs
# driver passes the relative cgroupsPath <parent>/<id>, which runc (and berth-runtime) put under the
# caller's own cgroup of each controller, so it is not always /sys/fs/cgroup/$2/<parent>/<id>
# (here the memory controller nests it under the session's own memory cgroup).
cgdir() {
    local rel
    rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$PID/cgroup" 2>/dev/null)
    [ -n "$rel" ] || rel=/$CGPARENT/$1
    echo "/sys/fs/cgroup/$2$rel"
}
rd() { cat "$1" 2>/dev/null || echo "(unreadable: $1)"; }

# 1. --memory 32m: a process allocating 64 MiB (dd's buffer) is OOM-killed
C=berth-res-oom
run d run --runtime "$RT" --name "$C" --memory 32m "$IMG" dd if=/dev/zero of=/dev/null bs=64M count=1
[ "$RC" = 137 ]; check "--memory 32m: allocating 64 MiB is killed, exit 137 (got $RC)"
run d inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}' "$C"
[ "$OUT" = "true 137 33554432" ]; check "--memory 32m: docker inspect State.OOMKilled is true (got '$OUT')"
d rm -f "$C" >/dev/null 2>&1
run d run --runtime "$RT" --rm --memory 32m "$IMG" dd if=/dev/zero of=/dev/null bs=8M count=1
[ "$RC" = 0 ]; check "--memory 32m: allocating 8 MiB is fine"

# 2. --pids-limit 20: the 21st task cannot be forked (pids counted with shell builtins only)
# The forking happens in a child sh: ash exits on "can't fork", so the counting is done by pid 1,
# with builtins only (no fork needed). With the limit: pid 1 + at most 19 sleeps (the child is gone).
PIDS_SH='sh -c "i=0; while [ \$i -lt 30 ]; do sleep 30 & i=\$((i+1)); done"; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n' 
run d run --runtime "$RT" --rm --pids-limit 20 "$IMG" sh -c "$PIDS_SH"
[ "$RC" = 0 ] && [ -n "$OUT" ] && [ "$OUT" -le 20 ] 2>/dev/null && [[ "$ERR" == *fork* ]]; check "--pids-limit 20: fork fails, at most 20 processes in the container (got '$OUT')"
run d run --runtime "$RT" --rm "$IMG" sh -c "$PIDS_SH"
[ "$OUT" = 31 ]; check "no --pids-limit: all 31 processes start (got '$OUT')"

# 3. --device: /dev/full with --device, and the default device rules
run d run --runtime "$RT" --rm --device /dev/full "$IMG" sh -c 'ls -l /dev/full | cut -c1; head -c 4 /dev/full | od -An -tx1 | tr -d " "; echo x >/dev/full'
[ "$OUT" = $'c\n00000000' ] && [[ "$ERR" == *"No space left"* ]]; check "--device /dev/full: a char device, reads zeros, writes fail with ENOSPC"
run d run --runtime "$RT" --rm "$IMG" sh -c 'ls -l /dev/full | cut -c1; head -c 4 /dev/full | od -An -tx1 | tr -d " "'
[ "$RC" = 0 ] && [ "$OUT" = $'c\n00000000' ]; check "no --device: /dev/full is there by default too (docker's default devices)"
run d run --runtime "$RT" --rm "$IMG" sh -c 'mknod /tmp/l b 7 7 && head -c 1 /tmp/l'
[ "$RC" != 0 ] && [[ "$ERR" == *"not permitted"* ]]; check "no --device: a mknod'ed block device 7:7 (loop7) cannot be opened (device cgroup)"
run d run --runtime "$RT" --rm --device /dev/loop7:/dev/xloop "$IMG" sh -c 'test -b /dev/xloop && head -c 1 /dev/xloop; echo rc=$?'
[ "$OUT" = rc=0 ]; check "--device /dev/loop7:/dev/xloop: a block device that opens and reads"

# 4. seccomp: docker's default profile blocks unshare(CLONE_NEWUSER); unconfined does not
run d run --runtime "$RT" --rm "$IMG" unshare -U true
[ "$RC" != 0 ] && [[ "$ERR" == *"not permitted"* ]]; check "default seccomp profile: unshare -U fails with Operation not permitted"
run d run --runtime "$RT" --rm "$IMG" grep Seccomp: /proc/self/status
read -r -d '' -a words <<<"$OUT"
[ "${words[*]}" = "Seccomp: 2" ]; check "default seccomp profile: Seccomp: 2 (filter) in /proc/self/status"
run d run --runtime "$RT" --rm --security-opt seccomp=unconfined "$IMG" sh -c 'grep Seccomp: /proc/self/status; unshare -U true && echo unshared'
read -r -d '' -a words <<<"$OUT"
[ "${words[*]}" = "Seccomp: 0 unshared" ]; check "seccomp=unconfined: Seccomp: 0 and unshare -U works"

# 5. a long-running container with --cpus, --cpuset-cpus and --memory: cgroup files, pause,
#    update, stats, top
C=berth-res-live
# Written aside and renamed, so that a freeze between the truncation and the write never leaves
# the file empty.
COUNTER='i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done'
run d run -d --runtime "$RT" --name "$C" --cpus 0.5 --cpuset-cpus 0 --memory 32m "$IMG" sh -c "$COUNTER"
if [ $RC = 0 ] && [ -n "$OUT" ]; then
    ok "docker run -d --cpus 0.5 --cpuset-cpus 0 --memory 32m"
    ID=$OUT
    PID=$(d inspect -f '{{.State.Pid}}' "$C" 2>/dev/null)
    CGDIRS=$(for c in cpu cpuacct cpuset memory devices freezer blkio pids; do cgdir "$ID" $c; done)
    run rd "$(cgdir "$ID" cpu)/cpu.cfs_quota_us"
    q_host=$OUT
    [ "$q_host" = 50000 ]; check "--cpus 0.5: the container's cgroup has cpu.cfs_quota_us 50000 (host side, got '$q_host')"
    run d exec "$C" cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us
    [ "$OUT" = 50000 ]; check "--cpus 0.5: cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us inside says 50000 (got '$OUT')"
    run d exec "$C" sh -c 'grep Cpus_allowed_list /proc/self/status | tr -d "\t "'
    [ "$OUT" = Cpus_allowed_list:0 ]; check "--cpuset-cpus 0: Cpus_allowed_list: 0 inside (got '$OUT')"
    run rd "$(cgdir "$ID" memory)/memory.limit_in_bytes"
    [ "$OUT" = 33554432 ]; check "--memory 32m: memory.limit_in_bytes 33554432 (got '$OUT')"

    # pause / unpause: the counter (read through /proc/PID/root, which works while frozen) stops
    count() { cat "/proc/$PID/root/tmp/count" 2>/dev/null; }
    frozen() { [ "$(rd "$(cgdir "$ID" freezer)/freezer.state")" = FROZEN ]; }
    counting() { [ -n "$(count)" ]; }
    advanced() { [ "$(count)" -gt "$c2" ] 2>/dev/null; }
    wait_for 30 counting
    run d pause "$C"
    if [ $RC = 0 ]; then
        # Frozen, nothing runs however long one waits: the window holds under load.
        wait_for 30 frozen; c1=$(count); sleep 1; c2=$(count)
        st=$(d inspect -f '{{.State.Status}} {{.State.Paused}}' "$C" 2>&1)
        fr=$(rd "$(cgdir "$ID" freezer)/freezer.state")
        if [ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "$st" = "paused true" ]; then
            ok "docker pause: counter stops at $c1, State paused/Paused true (freezer $fr)"
        else not_ok "docker pause: counter stops ($c1 -> $c2), State '$st', freezer $fr"; fi
        run d unpause "$C"
        wait_for 30 advanced; c3=$(count)
        st=$(d inspect -f '{{.State.Status}} {{.State.Paused}}' "$C" 2>&1)
        if [ $RC = 0 ] && [ -n "$c3" ] && [ -n "$c2" ] && [ "$c3" -gt "$c2" ] && [ "$st" = "running false" ]; then
            ok "docker unpause: counter advances ($c2 -> $c3), State running/Paused false"
        else not_ok "docker unpause: counter advances ($c2 -> $c3), State '$st'"; show; fi
    else
        not_ok "docker pause"; show; d unpause "$C" >/dev/null 2>&1
    fi

    # update
    run d update --memory 64m --memory-swap 64m "$C"
    lim=$(rd "$(cgdir "$ID" memory)/memory.limit_in_bytes")
    sw=$(rd "$(cgdir "$ID" memory)/memory.memsw.limit_in_bytes")
    hc=$(d inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' "$C" 2>&1)
    if [ $RC = 0 ] && [ "$lim" = 67108864 ] && [ "$hc" = "67108864 67108864" ]; then
        ok "docker update --memory 64m --memory-swap 64m: memory.limit_in_bytes $lim (memsw $sw)"
    else not_ok "docker update --memory 64m --memory-swap 64m: limit '$lim' memsw '$sw' inspect '$hc'"; show; fi
    run d update --cpus 0.25 "$C"
    q=$(rd "$(cgdir "$ID" cpu)/cpu.cfs_quota_us")
    [ $RC = 0 ] && [ "$q" = 25000 ]; check "docker update --cpus 0.25: cpu.cfs_quota_us 25000 (got '$q')"

    # stats
    run d stats --no-stream --format '{{.Name}}|{{.MemUsage}}|{{.PIDs}}' "$C"
    mem=$(echo "$OUT" | cut -d'|' -f2)
    if [ $RC = 0 ] && [[ "$OUT" == "$C|"* ]] && [[ "$mem" =~ ^[0-9.]+[KMG]i?B ]] && [[ "$mem" != 0B* ]]; then
        ok "docker stats --no-stream: a row with memory usage ($mem, pids $(echo "$OUT" | cut -d'|' -f3))"
    else not_ok "docker stats --no-stream: a row with memory usage"; show; fi
    run d stats --no-stream --format '{{.MemUsage}}' "$C"
    [[ "$OUT" == *"/ 64MiB" ]]; check "docker stats: the limit column shows 64MiB after the update (got '$OUT')"

    # top
    run d top "$C"
    if [ $RC = 0 ] && printf '%s\n' "$OUT" | grep -q "sh -c i=0" && printf '%s\n' "$OUT" | grep -q "$PID"; then
        ok "docker top: lists the container's processes (pid 1 = host pid $PID)"
    else not_ok "docker top: lists the container's processes"; show; fi

    run d rm -f "$C"
    [ $RC = 0 ]; check "docker rm -f the live container"
    left=$(for h in $CGDIRS; do [ -d "$h" ] && echo "$h"; done)
    [ -z "$left" ]; check "its cgroups are gone in every controller"
else
    not_ok "docker run -d --cpus 0.5 --cpuset-cpus 0 --memory 32m"; show; dump_log_tail
    d rm -f "$C" >/dev/null 2>&1
fi

# 6. nothing left behind
run d ps -aq
if [ $RC = 0 ] && [ -z "$OUT" ]; then ok "no containers left"
else not_ok "no containers left"; d ps -a 2>&1 | note; fi
left=$(for h in $(peer_cgroup_dirs "$CGPARENT"); do find "$h" -mindepth 1 -type d; done)
if [ -z "$left" ]; then ok "no container cgroups left under $CGPARENT"
else not_ok "no container cgroups left under $CGPARENT"; echo "$left" | note; fi

if [ $FAIL -gt 0 ]; then
    echo "# last lines of the dockerd log ($LOG):" >&2
    tail -n 30 "$LOG" | note
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
