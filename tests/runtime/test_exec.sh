#!/bin/bash
# exec: a new process inside a running container's namespaces.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1
edit_config "$B" 'c["hostname"] = "exec-host"
c["process"]["env"].append("FROM_CONFIG=yes")'
set_args "$B" sleep 1000

id=$(cid main)
rt run -d --pid-file "$TMP/init.pid" --bundle "$B" "$id" </dev/null >/dev/null 2>"$TMP/run.err"
check_eq "run -d of the target container" running "$(status_of "$id")" || cat "$TMP/run.err"
init_pid=$(cat "$TMP/init.pid" 2>/dev/null)

# x ARGS... — `exec` with stdin from /dev/null, stdout+stderr captured.
x() {
	rt exec "$@" </dev/null 2>&1
}

check_eq "exec ID hostname prints the container's hostname" exec-host "$(x "$id" hostname)"
check_eq "exec sees the container's init as pid 1" "sleep 1000" "$(x "$id" cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')"
for ns in pid net ipc uts mnt; do
	check_eq "exec joins the container's $ns namespace" "$(readlink "/proc/${init_pid:-0}/ns/$ns")" \
		"$(x "$id" readlink "/proc/self/ns/$ns")"
done
check_eq "exec sees the container's rootfs" berth "$(x "$id" cat /etc/hostname)"

x "$id" sh -c 'exit 7' >/dev/null
check_eq "exec returns the command's exit status" 7 $?
x "$id" true >/dev/null
check_eq "exec of true exits 0" 0 $?
check_eq "exec passes stdin" piped "$(echo piped | rt exec "$id" cat 2>&1)"

env_out=$(x "$id" env)
check_contains "exec gets the config's env" FROM_CONFIG=yes "$env_out"
check_contains "exec gets the config's PATH" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$env_out"
check_eq "exec -e FOO=bar sets the variable" bar "$(x -e FOO=bar "$id" sh -c 'echo $FOO')"
check_eq "exec --cwd /tmp" /tmp "$(x --cwd /tmp "$id" pwd)"
check_eq "exec --user 1000:1001" "1000 1001" "$(x --user 1000:1001 "$id" sh -c 'echo $(id -u) $(id -g)')"

# --process FILE: a whole process.json.
cat >"$TMP/process.json" <<'EOF'
{
  "terminal": false,
  "user": {"uid": 1000, "gid": 1000},
  "args": ["sh", "-c", "echo from-process-json $FOO; pwd; id -u"],
  "env": ["PATH=/bin", "FOO=pj"],
  "cwd": "/tmp",
  "noNewPrivileges": true
}
EOF
out=$(x --process "$TMP/process.json" "$id")
check_eq "exec --process FILE runs the process.json's args, env, cwd and user" \
	"from-process-json pj /tmp 1000" "$(words "$out")"

# exec -d: returns at once; the process runs on.
rt exec -d --pid-file "$TMP/exec.pid" "$id" sh -c 'echo detached > /tmp/detached-marker; sleep 1000' \
	</dev/null >/dev/null 2>&1
check_eq "exec -d exits 0" 0 $?
check_match "exec -d --pid-file writes the pid" '^[1-9][0-9]*$' "$(cat "$TMP/exec.pid" 2>/dev/null)"
marker_written() {
	[ "$(x "$id" cat /tmp/detached-marker)" = detached ]
}
check "the detached exec'd process ran" wait_until 30 marker_written
check "the detached exec'd process is still running" test -d "/proc/$(cat "$TMP/exec.pid" 2>/dev/null)"
check_eq "the container still runs after the execs" running "$(status_of "$id")"

# A missing command in exec fails without hurting the container.
err=$(x "$id" /no-such-exec-command)
check_ne "exec of a missing command exits non-zero" 0 $?
check_contains "exec of a missing command names it" /no-such-exec-command "$err"
check_eq "the container still runs after a failed exec" running "$(status_of "$id")"

# exec into a stopped or unknown container fails.
rt kill "$id" KILL
wait_until 30 status_is "$id" stopped
check_eq "the container stopped" stopped "$(status_of "$id")"
check_fails "exec into a stopped container fails" x "$id" true
check_fails "exec into an unknown container fails" x "$(cid no-such)" true

# exec into a created (not yet started) container: runc allows it (the init is waiting).
id2=$(cid created)
rt create --bundle "$B" "$id2" </dev/null >/dev/null 2>&1
check_eq "exec into a created container works" exec-host "$(x "$id2" hostname)"
check_eq "... and the container is still created" created "$(status_of "$id2")"

finish
