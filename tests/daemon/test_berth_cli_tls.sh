#!/usr/bin/env bash
# berth's own CLI against a berthd serving mutual TLS on TCP, as docker users point the docker CLI
# at a remote daemon: flags and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, plain calls, streamed bodies
# (load, import, logs -f, events, stats), hijacked connections (run, run -i with piped stdin,
# run -it on a pty, exec -i, attach) through the TLS session, and the errors: no client
# certificate, a certificate from another CA, the wrong CA for the daemon, a missing file, TLS
# against a plain daemon and plain against a TLS one.
source "$(dirname "$0")/../lib.sh"
require_root
command -v openssl >/dev/null || skip_all "the openssl command is not installed"
source "$(dirname "$0")/berthd_lib.sh"

# Only this script's settings and certificates reach berth.
unset BERTH_HOST BERTH_TLS BERTH_TLS_VERIFY BERTH_CERT_PATH DOCKER_TLS
export HOME=$TMP/home
mkdir -p "$HOME"
berth() { timeout -k 5 60 "$BERTH" "$@"; }

# ---- certificates ------------------------------------------------------------------------------
source "$(dirname "$0")/tls_certs.sh"
make_tls_certs

free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the daemon: its unix socket (for setup and cleanup) and mutual TLS on TCP -----------------
PORT=$(free_port)
TCP=tcp://127.0.0.1:$PORT
"$BERTHD" --config-file /dev/null --root "$DATA_ROOT" --exec-root "$EXEC_ROOT" -H "unix://$SOCK" \
	-H "$TCP" --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/server-cert.pem" \
	--tlskey "$CERTS/server-key.pem" --debug 2>>"$TMP/berthd.log" &
BERTHD_PID=$!
if ! wait_until 20 docker version; then
	_not_ok "berthd answers on its unix socket"
	_indent "$(tail -20 "$TMP/berthd.log")"
	finish
fi
import_busybox

TLS=(--tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client-cert.pem"
	--tlskey "$CERTS/client-key.pem" -H "$TCP")
# berth over TLS; the unix socket's DOCKER_HOST is overridden by -H.
bt() { berth "${TLS[@]}" "$@"; }

# ---- plain calls -------------------------------------------------------------------------------
check_eq "version over mutual TLS" "1.47" "$(bt version --format '{{.Server.APIVersion}}' 2>&1)"
out=$(DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CLIENT_DIR berth info \
	--format '{{.DockerRootDir}}' 2>&1)
check_eq "DOCKER_TLS_VERIFY + DOCKER_CERT_PATH: info" "$DATA_ROOT" "$out"
out=$(BERTH_HOST=$TCP BERTH_TLS_VERIFY=1 BERTH_CERT_PATH=$CLIENT_DIR berth version \
	--format '{{.Server.APIVersion}}' 2>&1)
check_eq "BERTH_TLS_VERIFY + BERTH_CERT_PATH: version" "1.47" "$out"
mkdir -p "$HOME/.docker" && cp "$CLIENT_DIR"/*.pem "$HOME/.docker/"
out=$(env -u DOCKER_CONFIG "$BERTH" --tlsverify -H "$TCP" version --format '{{.Server.APIVersion}}' 2>&1)
check_eq "--tlsverify alone: the certificates in ~/.docker" "1.47" "$out"
rm -rf "$HOME/.docker"
cp "$CLIENT_DIR"/*.pem "$DOCKER_CONFIG/"
out=$(berth --tlsverify -H "$TCP" version --format '{{.Server.APIVersion}}' 2>&1)
check_eq "--tlsverify alone: the certificates in \$DOCKER_CONFIG" "1.47" "$out"
rm -f "$DOCKER_CONFIG"/*.pem
check_contains "images" "busybox" "$(bt images 2>&1)"

# ---- run, logs, exec, rm -----------------------------------------------------------------------
check_eq "run --rm busybox echo: the output" "hello over tls" \
	"$(bt run --rm busybox echo hello over tls 2>&1)"
bt run --rm busybox sh -c 'exit 3' >/dev/null 2>&1
check_eq "run --rm: the container's exit status" "3" "$?"
id=$(bt run -d busybox sh -c 'echo started; exec sleep 300' 2>&1)
check_match "run -d prints the ID" '^[0-9a-f]{64}$' "$id"
wait_until 30 sh -c "'$BERTH' ${TLS[*]} logs $id | grep -q started"
check_eq "logs" "started" "$(bt logs "$id" 2>&1)"
check_eq "exec" "in-exec" "$(bt exec "$id" echo in-exec 2>&1)"
check_eq "exec -i with piped stdin" "piped-to-exec" "$(echo piped-to-exec | bt exec -i "$id" cat 2>&1)"
bt exec "$id" sh -c 'exit 7' >/dev/null 2>&1
check_eq "exec: the command's exit status" "7" "$?"
check_contains "stats --no-stream" "${id:0:12}" "$(bt stats --no-stream "$id" 2>&1)"
check "rm -f" bt rm -f "$id"
check_eq "rm -f: gone" "" "$(docker ps -aq --no-trunc --filter "id=$id")"

# ---- stdin through the TLS session -------------------------------------------------------------
check_eq "echo data | run -i --rm busybox cat" "data" "$(echo data | bt run -i --rm busybox cat 2>&1)"
head -c 3000000 /dev/urandom | base64 >"$TMP/big.txt"
out=$(bt run -i --rm busybox md5sum <"$TMP/big.txt" 2>&1)
check_eq "run -i: 4 MB of stdin arrive whole" "$(md5sum <"$TMP/big.txt" | cut -d' ' -f1)" "${out%% *}"
out=$(bt run --rm busybox sh -c 'head -c 2000000 /dev/zero | tr "\0" x' 2>/dev/null | wc -c)
check_eq "run: 2 MB of output arrive whole" "2000000" "$out"
if "$PYTHON" "$TESTS_DIR/peers/pty_drive.py" --timeout 30 --send 'tty; echo in-$((6*7)); exit' \
	--expect 'in-42' -- "$BERTH" "${TLS[@]}" run --rm -it busybox sh >"$TMP/pty.log" 2>&1; then
	_ok "run -it over TLS: an interactive shell on a terminal"
else
	_not_ok "run -it over TLS: an interactive shell on a terminal"
	_indent "$(cat "$TMP/pty.log")"
fi

# ---- attach --------------------------------------------------------------------------------------
id=$(bt run -d -i busybox sh -c 'read line; echo got-$line; exit 4' 2>&1)
out=$(echo attached | bt attach "$id" 2>&1)
rc=$?
check_eq "attach: stdin in, output out" "got-attached" "$out"
check_eq "attach: the container's exit status" "4" "$rc"
bt rm -f "$id" >/dev/null 2>&1

# ---- streamed bodies: logs -f, events, load, import, save ---------------------------------------
since=$(date +%s)
id=$(bt run -d busybox sh -c 'for i in 1 2 3; do echo line-$i; sleep 0.2; done' 2>&1)
check_eq "logs -f follows to the end" "line-1 line-2 line-3" "$(bt logs -f "$id" 2>&1 | xargs)"
until_ts=$(($(date +%s) + 1))
out=$(bt events --since "$since" --until "$until_ts" --filter "container=$id" --format '{{.Action}}' 2>&1)
check_contains "events (streamed) over TLS" "start" "$out"
bt rm -f "$id" >/dev/null 2>&1
check "save -o over TLS" bt save -o "$TMP/busybox.tar" busybox
check_contains "load -i over TLS" "Loaded image: busybox:latest" "$(bt load -i "$TMP/busybox.tar" 2>&1)"
out=$(tar -C "$TMP/busybox-rootfs" -c . | bt import - imported:tls 2>&1)
check_match "import - over TLS prints the new image ID" '^sha256:[0-9a-f]{64}$' "$out"
check_eq "the imported image runs" "imported" "$(bt run --rm imported:tls echo imported 2>&1)"

# ---- refusals --------------------------------------------------------------------------------------
out=$(berth --tlsverify --tlscacert "$CERTS/ca.pem" -H "$TCP" version 2>&1)
rc=$?
check_eq "no client certificate: exit status 1" "1" "$rc"
check_contains "no client certificate: refused, and why" "wants a client certificate" "$out"
out=$(berth --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/stranger-cert.pem" \
	--tlskey "$CERTS/stranger-key.pem" -H "$TCP" images 2>&1)
check_eq "a client certificate from another CA: exit status 1" "1" "$?"
check_contains "a client certificate from another CA: refused" "did not accept the client certificate" "$out"
out=$(berth --tlsverify --tlscacert "$CERTS/other-ca.pem" --tlscert "$CERTS/client-cert.pem" \
	--tlskey "$CERTS/client-key.pem" -H "$TCP" version 2>&1)
check_eq "the wrong CA: exit status 1" "1" "$?"
check_contains "the wrong CA: a verification error naming the host" \
	"tls: failed to verify certificate for 127.0.0.1: certificate signed by unknown authority" "$out"
out=$(berth --tlsverify --tlscacert "$CERTS/other-ca.pem" --tlscert "$CERTS/client-cert.pem" \
	--tlskey "$CERTS/client-key.pem" -H "$TCP" run --rm busybox true 2>&1)
check_eq "the wrong CA: run exits 125" "125" "$?"
out=$(berth --tls --tlscert "$CERTS/client-cert.pem" --tlskey "$CERTS/client-key.pem" -H "$TCP" \
	version --format '{{.Server.APIVersion}}' 2>&1)
check_eq "--tls without --tlsverify: encrypted, the daemon not verified" "1.47" "$out"
out=$(berth --tlsverify --tlscacert "$TMP/missing/ca.pem" -H "$TCP" version 2>&1)
check_eq "a missing CA file: exit status 1" "1" "$?"
check_eq "a missing CA file is named" \
	"could not read CA certificate \"$TMP/missing/ca.pem\": no such file or directory" "$out"
out=$(berth -H "$TCP" version 2>&1)
check_eq "plain HTTP to the TLS port: exit status 1" "1" "$?"
check_contains "plain HTTP to the TLS port: a clear error" \
	"the daemon closed the connection without answering: does it want TLS (--tlsverify)?" "$out"

PORT2=$(free_port)
"$BERTHD" --config-file /dev/null --root "$TMP/root-plain" --exec-root "$TMP/run-plain" \
	-H "tcp://127.0.0.1:$PORT2" --insecure-tcp 2>"$TMP/insecure.log" &
INSECURE_PID=$!
on_exit "kill -TERM $INSECURE_PID; wait $INSECURE_PID"
if wait_until 20 berth -H "tcp://127.0.0.1:$PORT2" version; then
	out=$(berth "${TLS[@]:0:7}" -H "tcp://127.0.0.1:$PORT2" version 2>&1)
	check_eq "--tlsverify against a plain --insecure-tcp daemon: exit status 1" "1" "$?"
	check_contains "--tlsverify against a plain daemon: a clear error" \
		"it does not serve TLS on this address" "$out"
else
	_not_ok "an --insecure-tcp daemon answers plain berth"
	_indent "$(tail -20 "$TMP/insecure.log")"
fi
kill -TERM "$INSECURE_PID"
wait "$INSECURE_PID"

finish
