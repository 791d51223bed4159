#!/usr/bin/env bash
# berth-init, the --init process, outside a container and as PID 1 of a new PID namespace: the
# child's exit status (128 + signal when killed), signals forwarded (and -g to the group),
# orphans reparented to it and reaped, arguments after "--" passed untouched, and a missing
# program reported with 127.
source "$(dirname "$0")/../lib.sh"

INIT=$BERTH_BIN/berth-init
[ -x "$INIT" ] || {
	_not_ok "berth-init is built ($INIT)"
	finish
}

init() { timeout -k 5 30 "$INIT" "$@"; }

# ---- exit status -------------------------------------------------------------------------------
init -- sh -c 'exit 7'
check_eq "the child's exit code" "7" "$?"
init true
check_eq "exit 0 (no --)" "0" "$?"
init -- sh -c 'kill -KILL $$'
check_eq "killed by SIGKILL: 128 + 9" "137" "$?"
out=$(init -- printf '%s|' a 'b c' -g -- 2>&1)
check_eq "arguments after -- reach the program untouched" "a|b c|-g|--|" "$out"
out=$(init -- /nonexistent/program 2>&1)
check_eq "a missing program: 127" "127" "$?"
check_contains "a missing program: says which" "/nonexistent/program" "$out"
out=$(init 2>&1)
check_eq "no program: usage, exit 2" "2" "$?"
check_contains "no program: usage" "usage: berth-init" "$out"
check_match "--version" "^berth-init version " "$(init --version 2>&1)"

# ---- signals -----------------------------------------------------------------------------------
# wait_for_child PID — the PID of berth-init's child once it has started.
child_of() {
	local pid
	pid=$(awk '{print $1}' "/proc/$1/task/$1/children" 2>/dev/null)
	[ -n "$pid" ] && echo "$pid"
}

# The child says when its traps are set: a signal before that would kill it instead.
"$INIT" -- sh -c "trap 'exit 42' TERM; touch $TMP/trapping; while :; do sleep 0.05; done" &
pid=$!
wait_until 30 test -e "$TMP/trapping"
kill -TERM $pid
wait $pid
check_eq "SIGTERM is forwarded (the child's trap exits 42)" "42" "$?"

"$INIT" -- sleep 100 &
pid=$!
wait_until 30 child_of $pid
kill -TERM $pid
wait $pid
check_eq "SIGTERM kills a child without a trap: 128 + 15" "143" "$?"

rm -f "$TMP/trapping"
"$INIT" -- sh -c "trap 'echo usr1 >>$TMP/usr1' USR1; trap 'exit 3' HUP; touch $TMP/trapping; while :; do sleep 0.05; done" &
pid=$!
wait_until 30 test -e "$TMP/trapping"
kill -USR1 $pid
wait_until 30 test -s "$TMP/usr1"
kill -USR1 $pid
wait_until 30 sh -c "[ \$(wc -l <$TMP/usr1) -ge 2 ]"
kill -HUP $pid
wait $pid
check_eq "SIGHUP is forwarded" "3" "$?"
check_eq "SIGUSR1 is forwarded, every time" "2" "$(wc -l <"$TMP/usr1")"

# Without -g only the child gets the signal; with -g its whole process group does.
"$INIT" -- sh -c "sleep 100 & echo \$! >$TMP/grandchild; wait" &
pid=$!
wait_until 30 test -s "$TMP/grandchild"
grandchild=$(cat "$TMP/grandchild")
kill -TERM $pid
wait $pid
check_eq "without -g: the child is killed (143)" "143" "$?"
check "without -g: its own child is not signalled" kill -0 "$grandchild"
kill -KILL "$grandchild" 2>/dev/null
rm -f "$TMP/grandchild"
"$INIT" -g -- sh -c "sleep 100 & echo \$! >$TMP/grandchild; wait" &
pid=$!
wait_until 30 test -s "$TMP/grandchild"
grandchild=$(cat "$TMP/grandchild")
kill -TERM $pid
wait $pid
check "-g: the whole process group gets the signal" wait_until 30 sh -c "! kill -0 $grandchild"

# ---- reaping -----------------------------------------------------------------------------------
# The child starts orphans (their parent subshell exits at once) and lives on: they must be
# reparented to berth-init (a subreaper outside PID 1) and reaped when they exit.
# The child lives until the check is done (it waits for $TMP/done), however slow the machine.
"$INIT" -- sh -c "for i in 1 2 3; do (sleep 0.5 & echo \$! >>$TMP/orphans); done; while [ ! -e $TMP/done ]; do sleep 0.05; done" &
pid=$!
wait_until 30 sh -c "[ \$(cat $TMP/orphans 2>/dev/null | wc -l) -ge 3 ]"
parents=""
while read -r o; do
	parents+="$(awk '{print $4}' "/proc/$o/stat" 2>/dev/null) "
done <"$TMP/orphans"
check_eq "orphans are reparented to berth-init" "$pid $pid $pid " "$parents"
orphans_gone() {
	local o
	while read -r o; do [ ! -d "/proc/$o" ] || return 1; done <"$TMP/orphans"
}
# A reaped orphan is gone from /proc; an unreaped one stays there, a zombie.
wait_until 30 orphans_gone
zombies=$(pgrep -c -r Z -P "$pid")
check_eq "exited orphans are reaped (no zombies)" "0" "$zombies"
check "... and gone" orphans_gone
touch "$TMP/done"
wait $pid
check_eq "the child's status after reaping orphans" "0" "$?"

# ---- as PID 1 ----------------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	out=$(timeout 30 unshare --pid --fork --mount-proc "$INIT" -- sh -c \
		'for i in 1 2 3; do (sleep 0.2 &); done; n=0; while grep -qs "^Name:.*sleep" /proc/[0-9]*/status && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done; echo "pid1=$(cat /proc/1/comm) zombies=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"; exit 5')
	rc=$?
	check_eq "as PID 1: exit status passes through" "5" "$rc"
	check_eq "as PID 1: orphans reaped" "pid1=berth-init zombies=0" "$out"
	unshare --pid --fork --mount-proc "$INIT" -- sh -c 'sleep 100' &
	upid=$!
	on_exit "kill -KILL $upid"
	wait_until 30 child_of $upid
	pid1=$(child_of $upid) # berth-init, PID 1 inside
	wait_until 30 child_of "$pid1"
	kill -TERM "$pid1"
	wait $upid
	check_eq "as PID 1: SIGTERM reaches a child with no handler (143)" "143" "$?"
else
	skip "berth-init as PID 1" "needs root and unshare --pid"
fi

size=$(stat -c %s "$INIT")
echo "# berth-init: $size bytes (static, not stripped)"

finish
