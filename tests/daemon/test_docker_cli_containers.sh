#!/usr/bin/env bash
# The stock docker CLI against berthd, as a user runs containers: run --rm with output and exit
# status (incl. 125/126/127), run -d + ps + logs -f + exec + stop + rm, run -it through a pty,
# inspect, events, stats --no-stream, wait, cp both ways, diff, export, top, rename, pause, kill,
# restart policies, health checks, and docker's errors for bad requests (400/404/409) with the
# store left as it was.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

# ---- run --rm: output and exit status ----------------------------------------------------------
check_eq "run --rm: output" "hello world" "$(docker run --rm busybox echo hello world 2>&1)"
docker run --rm busybox sh -c 'exit 3'
check_eq "run --rm: the container's exit status" "3" "$?"
out=$(docker run --rm busybox sh -c 'echo out; echo err >&2' 2>"$TMP/err")
check_eq "run: stdout and stderr kept apart (stdout)" "out" "$out"
check_eq "run: stdout and stderr kept apart (stderr)" "err" "$(cat "$TMP/err")"
docker run --rm busybox /no/such/binary 2>"$TMP/err"
check_eq "run of a missing command exits 127" "127" "$?"
docker run --rm busybox /etc 2>"$TMP/err"
check_eq "run of a non-executable exits 126" "126" "$?"
docker run --rm no-such-image true 2>"$TMP/err"
check_eq "run of a missing image exits 125" "125" "$?"
docker run --rm --memory nonsense busybox true 2>/dev/null
check_eq "run with a bad flag value exits 125" "125" "$?"
check_eq "run --rm leaves no container" "" "$(docker ps -aq)"
out=$(printf 'line1\nline2\n' | docker run --rm -i busybox sh -c 'wc -l')
check_eq "run -i: stdin reaches the container" "2" "$(words "$out")"
check_eq "run -e, -w, -u" "v /tmp 1000" \
	"$(docker run --rm -e X=v -w /tmp -u app busybox sh -c 'echo $X $(pwd) $(id -u)')"
check_eq "run --hostname" "boat" "$(docker run --rm --hostname boat busybox hostname)"
check_eq "run --read-only: root is read-only" "ro" \
	"$(docker run --rm --read-only busybox sh -c 'touch /x 2>/dev/null && echo rw || echo ro')"
mkdir -p "$TMP/bind"
echo from-host >"$TMP/bind/file"
check_eq "run -v: a bind mount" "from-host" \
	"$(docker run --rm -v "$TMP/bind:/data:ro" busybox cat /data/file)"
check_eq "run --tmpfs" "tmpfs" \
	"$(docker run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3')"
check_eq "run --network none: only loopback" "lo" \
	"$(docker run --rm --network none busybox ls /sys/class/net)"
check_eq "run --init: PID 1 is the init" "docker-init" \
	"$(docker run --rm --init busybox sh -c 'cat /proc/1/comm')"
check_eq "run --pids-limit reaches the cgroup" "max 32" \
	"$(docker run --rm --pids-limit 32 busybox sh -c 'echo max $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)')"
check_eq "default capabilities: no CAP_SYS_ADMIN (mount fails)" "denied" \
	"$(docker run --rm busybox sh -c 'mkdir -p /mnt; mount -t tmpfs t /mnt 2>/dev/null && echo allowed || echo denied')"
check_eq "--privileged: mount works" "allowed" \
	"$(docker run --rm --privileged busybox sh -c 'mkdir -p /mnt; mount -t tmpfs t /mnt 2>/dev/null && echo allowed || echo denied')"

# ---- a detached container: ps, logs -f, exec, stop, rm ------------------------------------------
id=$(docker run -d --name ticker -l app=demo busybox sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done')
check_match "run -d prints the full id" "^[0-9a-f]{64}$" "$id"
check_eq "ps: the container is listed by name" "ticker" "$(docker ps --format '{{.Names}}')"
check_match "ps: Status Up" "^Up " "$(docker ps --format '{{.Status}}')"
check_eq "ps --filter label" "ticker" "$(docker ps --filter label=app=demo --format '{{.Names}}')"
check_eq "ps --filter name (no match)" "" "$(docker ps --filter name=nomatch --format '{{.Names}}')"
check_eq "ps -q: short id" "${id:0:12}" "$(docker ps -q)"
out=$(timeout 30 docker logs -f ticker 2>&1 | head -3)
check_eq "logs -f: the first lines, in order" "tick 0
tick 1
tick 2" "$out"
check_eq "logs --tail 1: one line" "1" "$(docker logs --tail 1 ticker | wc -l)"
check_match "logs -t: timestamps" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z tick 0$" \
	"$(docker logs -t ticker | head -1)"
check_eq "exec: output" "inside" "$(docker exec ticker echo inside)"
docker exec ticker sh -c 'exit 7'
check_eq "exec: exit status" "7" "$?"
check_eq "exec -e -w -u" "e /tmp 1000" "$(docker exec -e E=e -w /tmp -u 1000 ticker sh -c 'echo $E $(pwd) $(id -u)')"
check_eq "exec -i: stdin" "abc" "$(echo abc | docker exec -i ticker cat)"
# Only the named user's groups (/etc/group) for exec -u, none of the container process's (root's).
check_eq "exec -u nobody: nobody's groups only" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" \
	"$(docker exec -u nobody ticker id)"
check_eq "exec -u app: app's groups from /etc/group" "1000 50" "$(docker exec -u app ticker id -G)"
check_eq "exec without -u: the container process's groups" "0" "$(docker exec ticker id -G)"
# --group-add stays with every exec, as in moby's getUser (daemon/oci_linux.go).
docker run -d --name grouped --group-add 50 busybox sleep 60 >/dev/null
check_eq "exec in a --group-add container: the container's groups" "0 50" "$(docker exec grouped id -G)"
check_eq "exec -u nobody in a --group-add container: nobody's and the added group" "65534 50" \
	"$(docker exec -u nobody grouped id -G)"
docker rm -f grouped >/dev/null
# Stdin sent in the same write as the exec start request is not lost.
api_post() { curl -sS --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' -d "$2" "http://b$1"; }
pipelined() { "$PYTHON" "$(dirname "$0")/pipelined_attach.py" "$SOCK" "$@" 2>&1; }
exec_id=$(api_post /containers/ticker/exec '{"AttachStdin":true,"AttachStdout":true,"Cmd":["cat"]}' |
	sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
check_eq "exec start: stdin pipelined behind the request reaches the process" "pipelined stdin" \
	"$(pipelined "/exec/$exec_id/start" '{"Detach":false,"Tty":false}' 'pipelined stdin')"
check_contains "top: the container's processes" "sleep" "$(docker top ticker)"
out=$(docker stats --no-stream --format '{{.Name}} {{.PIDs}}' ticker)
check_match "stats --no-stream: name and pids" "^ticker [0-9]+$" "$out"
check_match "stats --no-stream: memory usage" "[0-9.]+[KMG]i?B / " \
	"$(docker stats --no-stream --format '{{.MemUsage}}' ticker)"
check "pause" docker pause ticker
check_eq "paused state" "paused" "$(docker inspect -f '{{.State.Status}}' ticker)"
check "unpause" docker unpause ticker
check_eq "running again" "running" "$(docker inspect -f '{{.State.Status}}' ticker)"
check "rename" docker rename ticker ticker2
check_eq "renamed" "/ticker2" "$(docker inspect -f '{{.Name}}' "$id")"
docker rm ticker2 >/dev/null 2>"$TMP/err"
check_eq "rm of a running container exits 1" "1" "$?"
check_contains "rm of a running container: docker's message" "container is running" "$(cat "$TMP/err")"
check "stop" docker stop -t 1 ticker2
check_eq "stopped: exited" "exited" "$(docker inspect -f '{{.State.Status}}' ticker2)"
check_eq "wait on a stopped container: its status" "137" "$(docker wait ticker2)"
check "rm" docker rm ticker2
check_eq "no containers left" "" "$(docker ps -aq)"

# ---- attach: stdin pipelined behind the request, before the start and while running ------------
api_post '/containers/create?name=catter' \
	'{"Image":"busybox","Cmd":["cat"],"OpenStdin":true,"StdinOnce":true,"AttachStdin":true,"AttachStdout":true}' >/dev/null
check_eq "attach before start: pipelined stdin reaches the container" "early bytes" \
	"$(pipelined '/containers/catter/attach?stream=1&stdin=1&stdout=1' '' 'early bytes' --start catter)"
check_eq "attach before start: the container ends with its stdin" "0" "$(docker wait catter)"
docker rm catter >/dev/null
api_post '/containers/create?name=catter2' \
	'{"Image":"busybox","Cmd":["cat"],"OpenStdin":true,"StdinOnce":true}' >/dev/null
docker start catter2 >/dev/null
check_eq "attach to a running container: pipelined stdin reaches it" "late bytes" \
	"$(pipelined '/containers/catter2/attach?stream=1&stdin=1&stdout=1' '' 'late bytes')"
docker rm -f catter2 >/dev/null
# Larger than one read of the server's: part arrives with the request, the rest after it.
api_post '/containers/create?name=catter3' \
	'{"Image":"busybox","Cmd":["cat"],"OpenStdin":true,"StdinOnce":true}' >/dev/null
docker start catter3 >/dev/null
big=$(seq 1 20000 | tr '\n' ' ')
check_eq "attach: 100 KB of pipelined stdin arrive whole and in order" "$(echo -n "$big" | md5sum)" \
	"$(pipelined '/containers/catter3/attach?stream=1&stdin=1&stdout=1' '' "$big" | md5sum)"
docker rm -f catter3 >/dev/null

# ---- log options: rotation keeps the newest lines -------------------------------------------------
docker run --name rotated --log-opt max-size=1k --log-opt max-file=2 busybox \
	sh -c 'for i in $(seq 1 200); do echo line $i; done' >/dev/null
check_eq "--log-opt: recorded in HostConfig.LogConfig" '{"max-file":"2","max-size":"1k"}' \
	"$(docker inspect -f '{{json .HostConfig.LogConfig.Config}}' rotated)"
logs=$(docker logs rotated)
check_eq "--log-opt max-size/max-file: the newest line kept" "line 200" "$(echo "$logs" | tail -1)"
check_ne "--log-opt max-size/max-file: the oldest lines rotated away" "line 1" "$(echo "$logs" | head -1)"
docker rm rotated >/dev/null

# ---- run -it through a pty ---------------------------------------------------------------------
if "$PYTHON" "$TESTS_DIR/peers/pty_drive.py" --timeout 30 --send 'tty; echo in-$((6*7)); exit' \
	--expect 'in-42' -- "$DOCKER_BIN" run --rm -it busybox sh >"$TMP/pty.log" 2>&1; then
	_ok "run -it: an interactive shell on a terminal"
else
	_not_ok "run -it: an interactive shell on a terminal"
	_indent "$(cat "$TMP/pty.log")"
fi

# ---- inspect, wait, events -------------------------------------------------------------------------
since=$(date +%s)
id=$(docker create --name waiter busybox sh -c 'exit 5')
check_eq "create: state created" "created" "$(docker inspect -f '{{.State.Status}}' waiter)"
check_eq "inspect: Config.Cmd" '["sh","-c","exit 5"]' "$(docker inspect -f '{{json .Config.Cmd}}' waiter)"
check_eq "inspect: Path" "sh" "$(docker inspect -f '{{.Path}}' waiter)"
check "start" docker start waiter
check_eq "wait: the exit status" "5" "$(docker wait waiter)"
check_eq "inspect: ExitCode" "5" "$(docker inspect -f '{{.State.ExitCode}}' waiter)"
check "rm" docker rm waiter
until_ts=$(($(date +%s) + 1))
out=$(docker events --since "$since" --until "$until_ts" --filter container=waiter --format '{{.Action}}')
check_eq "events: create, start, die, destroy" "create
start
die
destroy" "$out"

# ---- cp, diff, export --------------------------------------------------------------------------
docker create --name files busybox sh >/dev/null
echo payload >"$TMP/in.txt"
check "cp into a container" docker cp "$TMP/in.txt" files:/root/in.txt
check "cp out of a container" docker cp files:/root/in.txt "$TMP/out.txt"
check_eq "cp round trip" "payload" "$(cat "$TMP/out.txt")"
check_contains "diff shows the added file" "A /root/in.txt" "$(docker diff files)"
check_contains "export holds the file" "root/in.txt" "$(docker export files | tar -t)"
docker rm files >/dev/null

# ---- restart policy, health checks --------------------------------------------------------------
docker run -d --name crashy --restart on-failure:2 busybox sh -c 'exit 1' >/dev/null
restarts_reached() { [ "$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' crashy)" = "2 exited" ]; }
check "restart on-failure:2: restarted twice, then left exited" wait_until 30 restarts_reached
docker rm -f crashy >/dev/null
# A monitor reports the exit before it removes the runtime's state and cgroups: a restart, whose
# start follows the exit at once, must wait for that and never fail on the leftovers.
docker run -d --name again busybox sleep 600 >/dev/null
restarts_ok=0
for i in $(seq 20); do
	[ "$(docker restart -t 0 again 2>&1)" = again ] && restarts_ok=$((restarts_ok + 1))
done
check_eq "20 restarts in a row, each start right after the exit" 20 "$restarts_ok"
check_eq "the restarted container runs" running "$(docker inspect -f '{{.State.Status}}' again)"
docker rm -f again >/dev/null
docker run -d --name healthy --health-cmd 'test -e /tmp/ok' --health-interval 200ms \
	--health-retries 1 busybox sleep 60 >/dev/null
health_is() { [ "$(docker inspect -f '{{.State.Health.Status}}' healthy)" = "$1" ]; }
check "health check: unhealthy while the probe fails" wait_until 20 health_is unhealthy
docker exec healthy touch /tmp/ok
check "health check: healthy once it passes" wait_until 20 health_is healthy
check_contains "ps shows (healthy)" "(healthy)" "$(docker ps --format '{{.Status}}')"
docker rm -f healthy >/dev/null
# A probe's output is any bytes (binary, or cut mid-character at the capture limit): the check
# still counts, and docker shows U+FFFD for each byte that is not UTF-8. (Found by fuzzing the
# monitor protocol: the monitor threw serialising the result.)
docker run -d --name binary-probe --health-cmd 'printf "\377ok\303"' --health-interval 200ms \
	busybox sleep 60 >/dev/null
probe_healthy() { [ "$(docker inspect -f '{{.State.Health.Status}}' binary-probe)" = healthy ]; }
check "health check: a probe printing invalid UTF-8 makes the container healthy" wait_until 30 probe_healthy
check_contains "... and its output shows U+FFFD for each invalid byte" $'|\xef\xbf\xbdok\xef\xbf\xbd|' \
	"|$(docker inspect -f '{{range .State.Health.Log}}{{.Output}}|{{end}}' binary-probe)"
docker rm -f binary-probe >/dev/null

# ---- bad requests leave the store as it was ----------------------------------------------------
docker create --name keeper busybox true >/dev/null
before=$(docker ps -a --format '{{.ID}} {{.Names}} {{.Status}}')
api() { curl -sS -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" "$@"; }
check_eq "malformed JSON: 400" "400" \
	"$(api -X POST -H 'Content-Type: application/json' -d '{"Image": "busybox", ' http://b/containers/create)"
check_contains "malformed JSON: a message" '"message"' "$(cat "$TMP/body")"
check_eq "unknown container: 404" "404" "$(api http://b/containers/nosuch/json)"
check_eq "name in use: 409" "409" \
	"$(api -X POST -H 'Content-Type: application/json' -d '{"Image":"busybox","Cmd":["true"]}' 'http://b/containers/create?name=keeper')"
check_eq "unsupported field: 400" "400" \
	"$(api -X POST -H 'Content-Type: application/json' -d '{"Image":"busybox","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}}}' http://b/containers/create)"
check_eq "store unchanged after the failed requests" "$before" \
	"$(docker ps -a --format '{{.ID}} {{.Names}} {{.Status}}')"
docker rm keeper >/dev/null

finish
