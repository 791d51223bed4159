#!/usr/bin/env bash
# docker exec of a process the runtime cannot start: the user sees the runtime's error (dockerd
# writes it on the exec's stream, as its stdout, "OCI runtime exec failed: …") and the exit code
# docker gives it: 127 for what is not there (a program, the -w directory), 126 for what cannot
# run; `exec -d` gets it as the daemon's error. The same through berth's own CLI.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox
docker run -d --name box busybox sleep 1000 >/dev/null

# exec_case NAME EXPECTED_RC NEEDLE ARGS… — docker exec ARGS; its exit code, and NEEDLE in what it
# printed (stdout: where dockerd puts the error).
exec_case() {
	local name=$1 rc=$2 needle=$3 out got
	shift 3
	out=$(docker exec "$@" 2>"$TMP/stderr")
	got=$?
	check_eq "$name: exit code $rc" "$rc" "$got"
	check_contains "$name: the runtime's error on stdout" "OCI runtime exec failed: " "$out"
	check_contains "$name: it says what is wrong" "$needle" "$out"
}

exec_case "-w to a missing directory" 127 'chdir to cwd ("/no/such/dir")' -w /no/such/dir box ls
exec_case "a missing program" 127 '"nosuchprog": executable file not found in $PATH' box nosuchprog
exec_case "a missing program, with a terminal" 127 'nosuchprog' -t box nosuchprog
exec_case "a program that cannot run" 126 "permission denied" box /etc/passwd
exec_case "a directory as the program" 126 "/etc" box /etc

out=$(docker exec -u nosuchuser box true 2>&1)
check_eq "an unknown user: exit code 126" "126" "$?"
check_contains "an unknown user: named" "unable to find user nosuchuser" "$out"

out=$(docker exec -d box nosuchprog 2>&1)
check_eq "exec -d of a missing program: docker's exit code 1" "1" "$?"
check_contains "exec -d: the daemon's error" \
	'Error response from daemon: OCI runtime exec failed: exec: "nosuchprog": executable file not found' "$out"

check_eq "a failed exec leaves the container running" "running" \
	"$(docker inspect -f '{{.State.Status}}' box)"
check_eq "and exec works after it" "ok" "$(docker exec box echo ok)"

out=$("$BERTH" exec -w /no/such/dir box ls 2>&1)
check_eq "berth exec: exit code 127" "127" "$?"
check_contains "berth exec: the runtime's error" 'OCI runtime exec failed: chdir to cwd ("/no/such/dir")' "$out"

finish
