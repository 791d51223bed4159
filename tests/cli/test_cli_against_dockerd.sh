#!/usr/bin/env bash
# berth as a Docker Engine API client, with the docker CLI as the oracle: both talk to the same
# private dockerd, and for the same state `berth X` must print what `docker X` prints and exit
# with the same status. Commands that make state (run, create, cp into a container, rename...)
# run once per CLI on containers of their own (d_* for docker, b_* for berth; names are
# normalised before comparing); commands that read state run with both on the same container.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BERTH_SRC=${BERTH_SRC:-$(cd "$HERE/../.." && pwd)}
BERTH_BIN=${BERTH_BIN:-$BERTH_SRC/build/bin}
BERTH=$BERTH_BIN/berth
BUSYBOX=${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}
# start_private_dockerd / stop_private_dockerd and the DOCKER default.
# shellcheck source=../peers/dockerd_lib.sh
. "$BERTH_SRC/tests/peers/dockerd_lib.sh"

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip() { echo "skip - $*"; exit 77; }
note() { sed 's/^/#   /' >&2; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$DOCKERD" ] || skip "no dockerd at $DOCKERD"
[ -x "$DOCKER" ] || skip "no docker CLI"
[ -x "$BUSYBOX" ] || skip "no static busybox"
command -v python3 >/dev/null || skip "no python3 (pty driving, JSON comparisons)"
if [ ! -x "$BERTH" ]; then
    not_ok "berth binary $BERTH is missing (build it or set BERTH_BIN)"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

PD_DIR=$(mktemp -d /tmp/berth-cli.XXXXXX)
TMP=$PD_DIR/t
PD_KEEP=${KEEP_TMP:-0}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_private_dockerd
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_private_dockerd || skip "dockerd cannot start on this machine: $PD_START_ERROR"
mkdir -p "$TMP"
H=unix://$PD_SOCK
# Nothing from the caller's environment picks another daemon.
unset BERTH_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
D() { timeout -s KILL 60 "$DOCKER" -H "$H" "$@"; }
B() { timeout -s KILL 60 "$BERTH" -H "$H" "$@"; }

# --- the test image: busybox as one layer -------------------------------------------------------
IMG=busybox:latest
ROOTFS=$TMP/rootfs
mkdir -p "$ROOTFS"/{bin,etc,tmp,root,proc,sys,dev}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -sf busybox "$ROOTFS/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOTFS/etc/passwd"
echo 'root:x:0:' >"$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"
tar -C "$ROOTFS" -cf "$TMP/rootfs.tar" .
if ! D import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' "$TMP/rootfs.tar" "$IMG" \
    >/dev/null 2>"$TMP/import.err"; then
    not_ok "docker import busybox"
    note <"$TMP/import.err"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# --- comparing ----------------------------------------------------------------------------------
# Runs one command line with each CLI; "@" in an argument becomes d_ for docker, b_ for berth.
# Leaves D_OUT D_ERR D_RC and B_OUT B_ERR B_RC, names normalised (d_x, b_x -> N_x; the CLI's own
# name -> CLI) and ids of 64 and 12 hex digits -> ID.
normalise() {
    sed -E -e 's/\b[db]_/N_/g' -e 's/[0-9a-f]{64}/ID/g' -e 's/\b[0-9a-f]{12}\b/ID/g' \
        -e 's/\bdocker\b/CLI/g; s/\bberth\b/CLI/g; s/Docker daemon/CLI daemon/g'
}
both_raw() {
    local args_d=() args_b=() a
    for a in "$@"; do
        args_d+=("${a//@/d_}")
        args_b+=("${a//@/b_}")
    done
    D "${args_d[@]}" >"$TMP/d.out" 2>"$TMP/d.err" </dev/null
    D_RC=$?
    B "${args_b[@]}" >"$TMP/b.out" 2>"$TMP/b.err" </dev/null
    B_RC=$?
    D_OUT=$(normalise <"$TMP/d.out")
    B_OUT=$(normalise <"$TMP/b.out")
    D_ERR=$(normalise <"$TMP/d.err")
    B_ERR=$(normalise <"$TMP/b.err")
}
show_both() {
    {
        echo "docker: exit $D_RC"
        echo "$D_OUT" | head -20
        echo "$D_ERR" | head -5
        echo "berth: exit $B_RC"
        echo "$B_OUT" | head -20
        echo "$B_ERR" | head -5
    } | note
}
# wait_logs @NAME TEXT: waits (up to 30 s each) until both containers have logged TEXT.
wait_logs() {
    local cli name
    for cli in D B; do
        name=${1//@/${cli,,}_}
        for _ in $(seq 600); do
            "$cli" logs "$name" 2>/dev/null | grep -qF "$2" && break
            sleep 0.05
        done
    done
}
# same DESC ARGS...: stdout and exit status equal.
same() {
    local desc=$1
    shift
    both_raw "$@"
    if [ "$D_OUT" = "$B_OUT" ] && [ "$D_RC" = "$B_RC" ]; then
        ok "$desc"
    else
        not_ok "$desc"
        show_both
    fi
}
# same_all DESC ARGS...: stdout, stderr and exit status equal.
same_all() {
    local desc=$1
    shift
    both_raw "$@"
    if [ "$D_OUT" = "$B_OUT" ] && [ "$D_RC" = "$B_RC" ] && [ "$D_ERR" = "$B_ERR" ]; then
        ok "$desc"
    else
        not_ok "$desc"
        show_both
    fi
}
check() {
    local desc=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then ok "$desc"; else not_ok "$desc"; note <"$TMP/check.out"; fi
}
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; printf 'expected: %s\ngot:      %s\n' "$2" "$3" | note; fi
}

# --- run: output and exit codes -----------------------------------------------------------------
same_all "run --rm echo" run --rm "$IMG" echo hello
same_all "run: stdout and stderr, exit 3" run --rm "$IMG" sh -c 'echo out; echo err >&2; exit 3'
check_eq "run: exit code 3" "3 3" "$D_RC $B_RC"
same_all "run: exit 0 with -e and -w" run --rm -e A=1 -w /tmp "$IMG" sh -c 'echo $A $(pwd)'
same_all "run: command not found is 127" run --rm "$IMG" nonexistent-command
check_eq "run: 127" "127" "$B_RC"
same_all "run: not executable is 126" run --rm "$IMG" /etc/passwd
check_eq "run: 126" "126" "$B_RC"
same_all "run: a bad restart policy is 125" run --restart bogus "$IMG" true
check_eq "run: 125" "125" "$B_RC"
same_all "run: conflicting --rm and --restart" run --rm --restart always "$IMG" true
same "run -i: stdin reaches the container" run --rm -i "$IMG" cat
out=$(echo piped | B run --rm -i "$IMG" cat)
check_eq "run -i copies stdin" "piped" "$out"
out=$(B run --rm no-such-image 2>&1)
rc=$?
check_eq "run of a missing image: 125" 125 "$rc"
case $out in
*"Unable to find image 'no-such-image:latest' locally"*"Error response from daemon: "*) ok "run of a missing image says why (the pull's error)" ;;
*) not_ok "run of a missing image says why"; echo "$out" | note ;;
esac
both_raw run --rm --name @rm "$IMG" true
same "run --rm leaves no container" ps -a -q --filter name=@rm
check_eq "run --rm: nothing listed" "" "$B_OUT"

# --- detached containers, ps, inspect -----------------------------------------------------------
both_raw run -d --name @sleep -l tier=web --restart on-failure:3 "$IMG" sleep 300
check_eq "run -d prints the full id" "ID ID" "$D_OUT $B_OUT"
both_raw run --name @exited "$IMG" sh -c 'echo line1; echo line2 >&2; echo line3; exit 2'
both_raw create --name @created "$IMG" echo never
check_eq "create prints the id" "ID" "$B_OUT"
same "ps -a --format (names normalised)" ps -a --format '{{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Label "tier"}} {{.Ports}} {{.Mounts}}' --filter name=@
same "ps -a --filter status=exited" ps -a --filter status=exited --format '{{.Names}}'
same "ps -a table" ps -a --format 'table {{.Names}}\t{{.State}}\t{{.Labels}}' --filter name=@
same "ps -q" ps -q --no-trunc --filter name=@
# The two containers were created a moment apart: their times are compared by shape.
both_raw ps -a --filter name=@sleep --format json
mask_times() {
    sed -E 's/"CreatedAt":"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [+-][0-9]{4} [A-Z]+"/"CreatedAt":"TIME"/
        s/"RunningFor":"[^"]* ago"/"RunningFor":"DURATION"/; s/"Status":"Up [^"]*"/"Status":"Up DURATION"/'
}
check_eq "ps --format json fields" "$(mask_times <<<"$D_OUT") $D_RC" "$(mask_times <<<"$B_OUT") $B_RC"
for c in d_sleep d_exited d_created; do
    same "inspect -f on $c" inspect -f '{{.Name}} {{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.Config.Cmd}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{json .Config.Labels}}' "$c"
done
check_eq "restart policy visible in inspect" "/b_sleep on-failure 3" \
    "$(B inspect -f '{{.Name}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' b_sleep)"
same "inspect (raw JSON) of a container" inspect d_exited
same "inspect (raw JSON) of an image" inspect "$IMG"
same_all "inspect of a missing object" inspect d_exited no-such-thing -f '{{.Name}}'
same_all "container inspect of a missing container" container inspect no-such-thing
same "inspect --type image" inspect --type image -f '{{.Id}} {{.Config.Cmd}}' "$IMG"

# --- logs, wait, exec, top ------------------------------------------------------------------------
same_all "logs (stdout and stderr)" logs d_exited
same_all "logs --tail 1" logs --tail 1 d_exited
same_all "logs -t" logs -t d_exited
same_all "logs --since in the future" logs --since 2099-01-01T00:00:00Z d_exited
same_all "logs of a missing container" logs no-such-thing
same_all "wait on an exited container" wait d_exited
same_all "exec output" exec d_sleep sh -c 'echo from exec; echo to stderr >&2'
same_all "exec exit code" exec d_sleep sh -c 'exit 4'
check_eq "exec exit code is 4" 4 "$B_RC"
same_all "exec -e -w -u" exec -e X=y -w /tmp -u 1:1 d_sleep sh -c 'echo $X $(pwd) $(id -u):$(id -g)'
same_all "exec of a missing command" exec d_sleep no-such-command
same_all "exec in a stopped container" exec d_exited true
same_all "top titles" top d_sleep -o pid,comm
same "top default titles" top d_sleep
both_raw top d_sleep
check_eq "top: same title row" "$(head -1 "$TMP/d.out" | tr -s ' ')" "$(head -1 "$TMP/b.out" | tr -s ' ')"

# --- lifecycle -----------------------------------------------------------------------------------
same_all "rm of a running container is refused" rm d_sleep
check_eq "rm of a running container exits 1" 1 "$B_RC"
same_all "stop of a missing container" stop no-such-thing
same_all "kill of a missing container" kill no-such-thing
same_all "start of a missing container" start no-such-thing
both_raw run -d --name @trap "$IMG" sh -c 'trap "exit 7" USR1; echo trapping; while :; do sleep 0.1; done'
wait_logs @trap trapping
same_all "kill -s USR1" kill -s USR1 @trap
same_all "wait after kill -s: the trap's status" wait @trap
check_eq "kill -s: exit 7" 7 "$B_OUT"
both_raw run -d --name @pause "$IMG" sleep 300
same_all "pause" pause @pause
same "paused state" inspect -f '{{.State.Status}} {{.State.Paused}}' @pause
same_all "pause twice is an error" pause @pause
same_all "unpause" unpause @pause
same "running again" inspect -f '{{.State.Status}}' @pause
same_all "stop -t 1" stop -t 1 @pause
same "stopped: exit 137" inspect -f '{{.State.Status}} {{.State.ExitCode}}' @pause
same_all "stop of a stopped container" stop @pause
same_all "start" start @pause
same_all "restart -t 1" restart -t 1 @pause
same "running after restart" inspect -f '{{.State.Status}} {{.RestartCount}}' @pause
same_all "update" update --memory 64m --memory-swap 128m --pids-limit 40 --restart on-failure:2 @pause
same "updated" inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' @pause
same_all "update without a flag is an error" update @pause
same_all "update: memory above the swap limit" update --memory 256m @pause
same_all "update of a missing container" update --cpus 1 no-such-thing
same_all "commit" commit -m note -a someone -c 'ENV X=1' @pause @img:1
same "the committed image" image inspect -f '{{.Comment}} {{.Author}} {{.Config.Env}} {{len .RootFS.Layers}}' @img:1
same_all "commit -c with a bad instruction" commit -c 'FOO bar' @pause
both_raw create --name @torename "$IMG" true
same_all "rename" rename @torename @renamed
same "renamed" ps -a --filter name=@renamed --format '{{.Names}}'
same_all "rename of a missing container" rename no-such-thing x
same_all "rm -f" rm -f @renamed @pause
same_all "rm -f of a missing container" rm -f no-such-thing
same_all "start -a" start -a @created
check_eq "start -a output" "never" "$B_OUT"
same_all "run -a stdout" run --rm -a stdout "$IMG" sh -c 'echo o; echo e >&2'

# --- create: flags become the same Config/HostConfig as docker's ---------------------------------
printf 'FROMFILE=1\n# comment\n' >"$TMP/env.list"
flags=(--name @flags -e A=1 --env-file "$TMP/env.list" -v /tmp:/hosttmp:ro --mount "type=tmpfs,destination=/t,tmpfs-size=64m"
    -w /w -u 1:2 --entrypoint /bin/sh --restart on-failure:3 -m 512m --memory-swap 1g --memory-reservation 256m
    --cpus 1.5 --cpu-shares 512 --cpuset-cpus 0 --pids-limit 100 --cap-add NET_ADMIN --cap-drop MKNOD
    --read-only --init --health-cmd true --health-interval 5s --health-timeout 1m30s --health-retries 3
    --health-start-period 2s -l a=b -l c --ulimit nofile=1024:2048 --log-driver json-file --log-opt max-size=1m
    --tmpfs "/run:rw,size=1m" --device /dev/null:/dev/n:rw --sysctl net.ipv4.ip_forward=1 -h hn
    --stop-signal SIGUSR1 --stop-timeout 7 --network none --security-opt no-new-privileges --group-add 10
    --shm-size 128m --oom-score-adj 100 --privileged -it "$IMG" -c 'echo a b')
both_raw create "${flags[@]}"
check_eq "create with every flag" "0 0" "$D_RC $B_RC"
D inspect d_flags >"$TMP/d.json"
B inspect b_flags >"$TMP/b.json"
if python3 - "$TMP/d.json" "$TMP/b.json" >"$TMP/diff.out" 2>&1 <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))[0]
b = json.load(open(sys.argv[2]))[0]
bad = []
for section, keys in {
    "Config": ["Hostname", "User", "Tty", "OpenStdin", "StdinOnce", "AttachStdin", "Env", "Cmd",
               "Healthcheck", "Image", "WorkingDir", "Entrypoint", "Labels", "StopSignal", "StopTimeout"],
    "HostConfig": ["Binds", "LogConfig", "NetworkMode", "RestartPolicy", "CapAdd", "CapDrop", "GroupAdd",
                   "OomScoreAdj", "Privileged", "ReadonlyRootfs", "SecurityOpt", "Tmpfs", "ShmSize", "Sysctls",
                   "CpuShares", "Memory", "NanoCpus", "CpusetCpus", "Devices", "MemoryReservation",
                   "MemorySwap", "PidsLimit", "Ulimits", "Mounts", "Init", "AutoRemove"],
}.items():
    for key in keys:
        if d[section].get(key) != b[section].get(key):
            bad.append(f"{section}.{key}: docker {d[section].get(key)!r} berth {b[section].get(key)!r}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
    ok "create: Config and HostConfig as docker makes them"
else
    not_ok "create: Config and HostConfig as docker makes them"
    note <"$TMP/diff.out"
fi
same_all "create: invalid memory" create -m 12x "$IMG"

# --- cp, diff, export ---------------------------------------------------------------------------
both_raw run -d --name @files "$IMG" sh -c 'echo x >/tmp/f; mkdir -p /tmp/d/e; echo y >/tmp/d/e/g; rm /etc/group; echo changed; sleep 300'
wait_logs @files changed
mkdir -p "$TMP/cp-d" "$TMP/cp-b"
for cli in D B; do
    dir=$TMP/cp-${cli,,}
    c=${cli,,}_files
    $cli cp "$c:/tmp/f" "$dir/f1" && $cli cp "$c:/tmp/d" "$dir/" && $cli cp "$c:/tmp/d" "$dir/newd" &&
        $cli cp "$c:/tmp/d/." "$dir/contents" && $cli cp "$c:/tmp/f" "$dir/" || echo "cp failed" >>"$TMP/cp.err"
    $cli cp "$c:/tmp/d" - | tar -t | sort >"$dir.list"
done
check "cp container -> host: the same trees" diff -r "$TMP/cp-d" "$TMP/cp-b"
check "cp container -> stdout: the same tar listing" diff "$TMP/cp-d.list" "$TMP/cp-b.list"
for cli in D B; do
    c=${cli,,}_files
    $cli cp "$TMP/cp-d/f1" "$c:/tmp/new1" && $cli cp "$TMP/cp-d/d" "$c:/root/" && $cli cp "$TMP/cp-d/d" "$c:/tmp/newdir" &&
        $cli cp "$TMP/cp-d/d/." "$c:/srv" 2>/dev/null
    tar -C "$TMP/cp-d" -cf - f1 | $cli cp - "$c:/"
    $cli exec "$c" sh -c 'find /tmp /root /srv /f1 | sort' >"$TMP/cp-in-${cli,,}.list" 2>&1
done
check "cp host -> container: the same files" diff "$TMP/cp-in-d.list" "$TMP/cp-in-b.list"
same_all "cp to a missing directory" cp "$TMP/cp-d/f1" d_files:/no/such/dir/x
both_raw diff d_files
check_eq "diff: the same changes (sorted)" "$(sort "$TMP/d.out")" "$(sort "$TMP/b.out")"
D export d_files | tar -t | sort >"$TMP/export-d.list"
B export d_files | tar -t | sort >"$TMP/export-b.list"
check "export: the same listing" diff "$TMP/export-d.list" "$TMP/export-b.list"
B export -o "$TMP/export.tar" d_files
check_eq "export -o" "$(cat "$TMP/export-d.list")" "$(tar -tf "$TMP/export.tar" | sort)"

# --- stats, events, system ----------------------------------------------------------------------
both_raw stats --no-stream d_sleep
check_eq "stats --no-stream: the same columns" "$(head -1 "$TMP/d.out" | tr -s ' ')" "$(head -1 "$TMP/b.out" | tr -s ' ')"
same "stats --format" stats --no-stream --format '{{.Name}} {{.ID}} {{.PIDs}} {{.Container}}' d_sleep
# dockerd keeps its last 256 events: a short window of our own.
since=$(date +%s.%N)
D run --rm --name d_events "$IMG" true
D run --name d_events2 -l x=y "$IMG" sh -c 'exit 1'
D rm d_events2 >/dev/null
until=$(date +%s.%N)
same "events --since/--until as JSON" events --since "$since" --until "$until" --format '{{json .}}'
same "events default format" events --since "$since" --until "$until" --filter type=container --filter event=start
same "events with a template" events --since "$since" --until "$until" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' --filter event=die
same "version --format" version --format '{{.Server.Version}} {{.Server.APIVersion}}'
same "info --format" info --format '{{.ServerVersion}} {{.Containers}} {{.Images}}'
same "system df" system df --format '{{.Type}} {{.TotalCount}}'
"$DOCKER" -H unix:///nonexistent/sock ps >/dev/null 2>"$TMP/nd.err"
d_rc=$?
d_err=$(normalise <"$TMP/nd.err")
"$BERTH" -H unix:///nonexistent/sock ps >/dev/null 2>"$TMP/nd.err"
b_rc=$?
b_err=$(normalise <"$TMP/nd.err")
check_eq "no daemon: exit 1" "1 1" "$d_rc $b_rc"
check_eq "no daemon: docker's message" "$d_err" "$b_err"
b_err=$("$BERTH" -H unix:///nonexistent/sock run --rm "$IMG" true 2>&1)
check_eq "no daemon: run exits 125" 125 "$?"

# --- images through the daemon ------------------------------------------------------------------
same "images" images
same "images --format" images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
same "image inspect -f" image inspect -f '{{.Id}} {{json .Config.Cmd}}' "$IMG"
same_all "image inspect of a missing image" image inspect no-such-image
same "history" history "$IMG"
same_all "tag" tag "$IMG" @tagged:v1
same "the tag is listed" images --format '{{.Repository}}:{{.Tag}}' --filter reference='*tagged*'
same_all "rmi of a tag" rmi @tagged:v1
same_all "rmi of a missing image" rmi no-such-image
B save -o "$TMP/saved.tar" "$IMG"
check "save -o writes an image archive" tar -tf "$TMP/saved.tar" manifest.json
same_all "load" load -i "$TMP/saved.tar"
out=$(B import -c 'CMD ["echo", "imported"]' "$TMP/rootfs.tar" b_imported:1)
case $out in sha256:*) ok "import prints the image id" ;; *) not_ok "import prints the image id"; echo "$out" | note ;; esac
check_eq "the imported image runs" "imported" "$(B run --rm b_imported:1)"

# --- a terminal: run -it and exec -it through a pty ----------------------------------------------
PTY=$BERTH_SRC/tests/peers/pty_drive.py
check "run -it through a pty" timeout 40 python3 "$PTY" --send 'echo tty-$((6*7)) $(tty); exit' \
    --expect 'tty-42 /dev/pts/0' -- "$BERTH" -H "$H" run -it --rm "$IMG" sh
check "exec -it through a pty" timeout 40 python3 "$PTY" --send 'echo exec-$((6*7)); exit' \
    --expect 'exec-42' -- "$BERTH" -H "$H" exec -it d_sleep sh

if timeout 40 python3 "$PTY" --send $'echo detaching\x10\x11' --expect '' -- \
    "$BERTH" -H "$H" run -it --name b_detach "$IMG" sh >"$TMP/detach.out" 2>&1; then
    check_eq "run -it: ctrl-p ctrl-q detaches, the container runs on" true \
        "$(B inspect -f '{{.State.Running}}' b_detach)"
else
    not_ok "run -it: ctrl-p ctrl-q detaches"
    note <"$TMP/detach.out"
fi
B rm -f b_detach >/dev/null

# --- prune ----------------------------------------------------------------------------------------
B rm -f b_sleep b_trap b_files >/dev/null
out=$(B container prune -f)
case $out in *"Total reclaimed space:"*) ok "container prune -f" ;; *) not_ok "container prune -f"; echo "$out" | note ;; esac
check_eq "prune removed the stopped containers" "" "$(B ps -a -q --filter name=b_)"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
