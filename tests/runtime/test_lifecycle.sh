#!/bin/bash
# Container lifecycle through the runc command line: create, start, state, kill, delete, list, run.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1

# An init that exits on SIGTERM: pid 1 of a pid namespace ignores signals it has no handler for.
set_args "$B" sh -c 'trap "exit 143" TERM; sleep 1000 & wait'

# ---- create / start / kill / delete ----

id=$(cid main)
rt create --bundle "$B" --pid-file "$TMP/main.pid" "$id" </dev/null >/dev/null 2>"$TMP/create.err"
check_eq "create exits 0" 0 $? || cat "$TMP/create.err"
check_eq "state after create is created" created "$(status_of "$id")"
state_pid=$(rt state "$id" | json_field pid)
file_pid=$(cat "$TMP/main.pid" 2>/dev/null)
check_match "pid file holds a pid" '^[1-9][0-9]*$' "$file_pid"
check_eq "state pid matches the pid file" "$file_pid" "$state_pid"
check "the created init process exists on the host" test -d "/proc/$file_pid"
check_eq "state reports the bundle" "$B" "$(rt state "$id" | json_field bundle)"
check_eq "state reports the id" "$id" "$(rt state "$id" | json_field id)"

# create of an existing id fails and leaves the first container alone.
check_fails "create of an existing id fails" rt create --bundle "$B" "$id"
check_eq "the existing container is still created" created "$(status_of "$id")"

check "start exits 0" rt start "$id"
check_eq "state after start is running" running "$(status_of "$id")"

list=$(rt list 2>&1)
check_contains "list shows the container" "$id" "$list"
check_match "list shows it running" "${id}[[:space:]]+${file_pid}[[:space:]]+running" "$list"
check_contains "list -q prints the id" "$id" "$(rt list -q 2>&1)"
check_contains "list --format json shows the id" "\"$id\"" "$(rt list --format json 2>&1)"

check_fails "delete of a running container without --force fails" rt delete "$id"
check_eq "the container still runs after a refused delete" running "$(status_of "$id")"

check "kill ID TERM exits 0" rt kill "$id" TERM
check "state becomes stopped after TERM" wait_until 30 status_is "$id" stopped
check "delete of a stopped container exits 0" rt delete "$id"
check_fails "state after delete fails" rt state "$id"
check "the init process is gone after delete" wait_until 30 test ! -d "/proc/$file_pid"
check_not_contains "list no longer shows the container" "$id" "$(rt list 2>&1)"

# kill with a signal name prefixed by SIG, a bare KILL, and a number.
for sig in SIGTERM KILL 9 15; do
	id=$(cid "kill$sig")
	rt run -d --bundle "$B" "$id" </dev/null >/dev/null 2>&1
	check_eq "run -d for kill $sig: running" running "$(status_of "$id")"
	check "kill ID $sig exits 0" rt kill "$id" "$sig"
	check "kill ID $sig stops the container" wait_until 30 status_is "$id" stopped
	rt delete "$id" >/dev/null 2>&1
done

# kill without a signal sends SIGTERM.
id=$(cid killdefault)
rt run -d --bundle "$B" "$id" </dev/null >/dev/null 2>&1
check "kill ID without a signal exits 0" rt kill "$id"
check "kill ID without a signal stops the container (SIGTERM)" wait_until 30 status_is "$id" stopped
rt delete "$id" >/dev/null 2>&1

# ---- delete --force ----

id=$(cid force)
rt run -d --bundle "$B" --pid-file "$TMP/force.pid" "$id" </dev/null >/dev/null 2>&1
check_eq "run -d returns with the container running" running "$(status_of "$id")"
pid=$(cat "$TMP/force.pid" 2>/dev/null)
check "delete --force of a running container exits 0" rt delete --force "$id"
check_fails "state after delete --force fails" rt state "$id"
check "the init process is gone after delete --force" wait_until 30 test ! -d "/proc/${pid:-0}"

# delete --force of a created (not started) container.
id=$(cid forcecreated)
rt create --bundle "$B" "$id" </dev/null >/dev/null 2>&1
check "delete --force of a created container exits 0" rt delete --force "$id"
check_fails "state after deleting a created container fails" rt state "$id"

# ---- state of an unknown id ----

unknown=$(cid no-such-container)
err=$(rt state "$unknown" 2>&1 >/dev/null)
rc=$?
check_ne "state of an unknown id exits non-zero" 0 "$rc"
if [ "$RUNTIME_NAME" = runc ]; then
	skip "state of an unknown id names the id" "runc 1.1.5 only says 'container does not exist'"
else
	check_contains "state of an unknown id names the id" "$unknown" "$err"
fi
check_fails "kill of an unknown id fails" rt kill "$unknown" KILL
check_fails "start of an unknown id fails" rt start "$unknown"

# ---- run ----

out=$(run_in "$B" sh -c 'echo hello from the container; exit 42')
rc=$?
check_eq "run returns the exit status of the process" 42 "$rc"
check_contains "run passes the container's stdout through" "hello from the container" "$out"
run_in "$B" true >/dev/null
check_eq "run of true exits 0" 0 $?

# A process killed by a signal: `run` exits 128+signal (SIGKILL from `kill` → 137).
set_args "$B" sleep 1000
id=$(cid killed)
rt run --bundle "$B" "$id" </dev/null >/dev/null 2>&1 &
run_pid=$!
wait_until 30 status_is "$id" running
rt kill "$id" KILL
wait "$run_pid"
check_eq "run of a process killed by SIGKILL exits 137" 137 $?
rt delete --force "$id" >/dev/null 2>&1

# stdin is passed through.
set_args "$B" cat
id=$(cid stdin)
out=$(echo piped-in | rt run --bundle "$B" "$id" 2>&1)
check_eq "run passes stdin to the process" piped-in "$out"
rt delete --force "$id" >/dev/null 2>&1

# run -d returns at once while the process keeps running.
set_args "$B" sleep 1000
id=$(cid detached)
rt run -d --bundle "$B" "$id" </dev/null >/dev/null 2>"$TMP/detached.err"
check_eq "run -d exits 0" 0 $?
check_eq "run -d leaves the container running" running "$(status_of "$id")"
rt delete --force "$id" >/dev/null 2>&1

# ---- a command that does not exist ----

set_args "$B" /no-such-command
id=$(cid nocmd)
rt run --bundle "$B" "$id" </dev/null >"$TMP/nocmd.out" 2>"$TMP/nocmd.err"
rc=$?
err=$(cat "$TMP/nocmd.err")
check_ne "run of a nonexistent command exits non-zero" 0 "$rc"
check_eq "the error is one line on stderr" 1 "$(grep -c . "$TMP/nocmd.err")"
check_contains "the error names the command" /no-such-command "$err"
rt delete --force "$id" >/dev/null 2>&1

# The same through create: either create or start reports it.
id=$(cid nocmd2)
{ rt create --bundle "$B" "$id" && rt start "$id"; } </dev/null >/dev/null 2>"$TMP/nocmd2.err"
check_ne "create+start of a nonexistent command fails" 0 $?
check_contains "create+start error names the command" /no-such-command "$(cat "$TMP/nocmd2.err")"
rt delete --force "$id" >/dev/null 2>&1

finish
