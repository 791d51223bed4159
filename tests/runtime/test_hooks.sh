#!/bin/bash
# OCI hooks: all six run in order with the container's state on stdin; startContainer runs inside
# the container; a failing or timed-out createRuntime hook fails create and leaves nothing; a
# failing poststart hook only warns.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1

# The hook script, both on the host and in the rootfs: appends "NAME <state JSON>" to LOG.
HOOK=$TMP/hook.sh
cat >"$HOOK" <<'EOF'
#!/bin/sh
# hook.sh NAME LOG — appends one line: NAME and the state from stdin.
state=$(cat)
printf '%s %s\n' "$1" "$state" >>"$2"
EOF
chmod 0755 "$HOOK"
cp "$HOOK" "$B/rootfs/bin/hook.sh"

# variant NAME 'PYTHON' [ARGS...] — a copy of the base bundle edited by PYTHON; prints its path.
variant() {
	local dir=$TMP/bundle-$1 code=$2
	shift 2
	copy_bundle "$B" "$dir" && edit_config "$dir" "$code" "$@" && echo "$dir"
}

# create_out DIR ID — create; its output (and the container's stdio) go to $TMP/ID.out, never to
# a pipe the test reads (the container would hold it open).
create_out() {
	rt create --bundle "$1" "$2" </dev/null >"$TMP/$2.out" 2>&1
}

# create_ok NAME DIR ID — a check that create succeeds.
create_ok() {
	if create_out "$2" "$3"; then
		_ok "$1"
	else
		_not_ok "$1"
		_indent "$(cat "$TMP/$3.out")"
		return 1
	fi
}

# ---- all six hooks, in order, with the state on stdin ----
M=$(variant all '
log = argv[1] + "/rootfs/hooks.log"   # the same file as /hooks.log inside the container
def h(name, path=argv[0], logpath=log):
    return [{"path": path, "args": ["hook.sh", name, logpath]}]
c["process"]["args"] = ["sleep", "1000"]
c["hooks"] = {
    "prestart": h("prestart"),
    "createRuntime": h("createRuntime"),
    "createContainer": h("createContainer"),
    "startContainer": h("startContainer", "/bin/hook.sh", "/hooks.log"),
    "poststart": h("poststart"),
    "poststop": h("poststop"),
}' "$HOOK" "$TMP/bundle-all")
LOG=$M/rootfs/hooks.log
id=$(cid all)
# hooks_summary — "NAME:STATUS:ID-OK:PID-OK" per line of the log.
hooks_summary() {
	"$PYTHON" - "$LOG" "$id" <<'EOF'
import json, sys
out = []
for line in open(sys.argv[1]):
    name, _, rest = line.strip().partition(" ")
    try:
        s = json.loads(rest)
    except ValueError:
        out.append(name + ":badjson")
        continue
    pid = s.get("pid")
    out.append("%s:%s:%s:%s" % (name, s.get("status"), "id" if s.get("id") == sys.argv[2] else "noid",
                                 "pid" if isinstance(pid, int) and pid > 0 else "nopid"))
print(" ".join(out))
EOF
}
FIRST3="prestart:creating:id:pid createRuntime:creating:id:pid createContainer:creating:id:pid"
# runc 1.1 runs poststart hooks during `create` (status "created"), before startContainer.
POSTSTART_AT_CREATE=
runc_before 1.2 && POSTSTART_AT_CREATE="runc 1.1 runs poststart hooks in create, not after start"
if create_ok "all hooks: create succeeds" "$M" "$id"; then
	if [ -z "$POSTSTART_AT_CREATE" ]; then
		check_eq "create runs prestart, createRuntime, createContainer (status creating, id, pid)" \
			"$FIRST3" "$(hooks_summary)"
	else
		skip "create runs exactly prestart, createRuntime, createContainer" "$POSTSTART_AT_CREATE"
	fi
	check "all hooks: start succeeds" rt start "$id"
	wait_until 30 grep -q ^startContainer "$LOG"
	wait_until 30 grep -q ^poststart "$LOG"
	if [ -z "$POSTSTART_AT_CREATE" ]; then
		check_eq "start runs startContainer (created, inside the container) then poststart (running)" \
			"$FIRST3 startContainer:created:id:pid poststart:running:id:pid" "$(hooks_summary)"
	else
		skip "start runs startContainer then poststart (running)" "$POSTSTART_AT_CREATE"
		check_contains "start runs startContainer (created) after the create hooks" \
			"$FIRST3 " "$(hooks_summary)"
		check_contains "startContainer sees status created" "startContainer:created:id:pid" "$(hooks_summary)"
	fi
	check "startContainer ran inside the container (the host's log path is not in its rootfs)" \
		test ! -e "$M/rootfs$LOG"
	rt kill "$id" KILL
	wait_until 30 status_is "$id" stopped
	check "all hooks: delete succeeds" rt delete "$id"
	if [ -z "$POSTSTART_AT_CREATE" ]; then
		check_match "delete runs poststop last (status stopped, id)" \
			"^$FIRST3 startContainer:created:id:pid poststart:running:id:pid poststop:stopped:id:[a-z]+\$" \
			"$(hooks_summary)"
	else
		check_match "delete runs poststop last (status stopped, id)" \
			"^$FIRST3 .* poststop:stopped:id:[a-z]+\$" "$(hooks_summary)"
	fi
fi
rt delete --force "$id" >/dev/null 2>&1

# ---- a failing createRuntime hook ----
M=$(variant fail '
c["process"]["args"] = ["true"]
c["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-said-boom >&2; echo hook-stdout-too; exit 3"]}]}')
id=$(cid fail)
create_out "$M" "$id"
rc=$?
out=$(cat "$TMP/$id.out")
check_ne "failing createRuntime hook: create fails" 0 "$rc"
check_contains "failing createRuntime hook: the error has the hook's output" hook-said-boom "$out"
check_fails "failing createRuntime hook: no container is left (state fails)" rt state "$id"
check_not_contains "failing createRuntime hook: ... and list does not show it" "$id" "$(rt list -q 2>&1)"
rt delete --force "$id" >/dev/null 2>&1

# ---- a hook exceeding its timeout ----
M=$(variant timeout '
c["process"]["args"] = ["true"]
c["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo $$ >" + argv[0] + "; exec sleep 30"], "timeout": 1}]}' "$TMP/timeout.pid")
id=$(cid timeout)
t0=$SECONDS
create_out "$M" "$id"
rc=$?
elapsed=$((SECONDS - t0))
check_ne "hook timeout: create fails" 0 "$rc"
check "hook timeout: create returns well before the hook would end (${elapsed}s < 10s)" test "$elapsed" -lt 10
hpid=$(cat "$TMP/timeout.pid" 2>/dev/null)
wait_until 30 test ! -d "/proc/${hpid:-0}"
check "hook timeout: the hook process (${hpid:-none}) was killed" test -n "$hpid" -a ! -d "/proc/${hpid:-0}"
check_fails "hook timeout: no container is left" rt state "$id"
rt delete --force "$id" >/dev/null 2>&1

# ---- a failing poststart hook only warns ----
M=$(variant poststart '
log = argv[1]
c["process"]["args"] = ["sleep", "1000"]
c["hooks"] = {
    "poststart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]},
                  {"path": argv[0], "args": ["hook.sh", "poststart2", log]}],
    "poststop": [{"path": argv[0], "args": ["hook.sh", "poststop", log]}]}' "$HOOK" "$TMP/poststart.log")
id=$(cid poststart)
if [ "$RUNTIME_NAME" = runc ]; then
	skip "failing poststart hook only warns" "runc treats a failing poststart hook as fatal (the operation fails, the container is killed)"
else
	create_ok "failing poststart hook: create succeeds" "$M" "$id"
	check "failing poststart hook: start succeeds" rt start "$id"
	check_eq "failing poststart hook: the container is running" running "$(status_of "$id")"
	wait_until 30 grep -q poststart2 "$TMP/poststart.log"
	check_contains "failing poststart hook: the next poststart hook runs" poststart2 "$(cat "$TMP/poststart.log" 2>&1)"
	rt kill "$id" KILL
	wait_until 30 status_is "$id" stopped
	rt delete "$id" >/dev/null 2>&1
	check_contains "failing poststart hook: poststop still runs" poststop "$(cat "$TMP/poststart.log" 2>&1)"
fi
rt delete --force "$id" >/dev/null 2>&1

finish
