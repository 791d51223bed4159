#!/usr/bin/env bash
# berthd's configuration and listeners with the stock docker CLI: mutual TLS on TCP next to the
# unix socket (certificates from a CA made here with openssl), clients without a certificate or
# with one from another CA refused, plain TCP refused without --insecure-tcp, daemon.json values
# honoured and its errors (flag and file both, unknown key, bad JSON), the PID file, socket
# activation (fd://, the sockets passed the way systemd does) and a clean SIGTERM.
source "$(dirname "$0")/../lib.sh"

require_root
DOCKER_BIN=${DOCKER:-$(command -v docker)}
[ -x "$DOCKER_BIN" ] || skip_all "the docker CLI is not installed"
command -v openssl >/dev/null || skip_all "the openssl command is not installed"
"$PYTHON" -c 'import socket' 2>/dev/null || skip_all "python3 is not installed"
BERTHD=$BERTH_BIN/berthd

# Only the daemons of this script: no context, TLS settings or certificates from the caller.
export DOCKER_CONFIG=$TMP/docker-config DOCKER_CERT_PATH=$TMP/no-certs
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_API_VERSION
mkdir -p "$DOCKER_CONFIG" "$DOCKER_CERT_PATH"
docker() { timeout -k 5 60 "$DOCKER_BIN" "$@"; }

# ---- certificates ------------------------------------------------------------------------------
source "$(dirname "$0")/tls_certs.sh"
make_tls_certs

SERVER_TLS=(--tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/server-cert.pem"
	--tlskey "$CERTS/server-key.pem")
CLIENT_TLS=(--tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/client-cert.pem"
	--tlskey "$CERTS/client-key.pem")

free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# An empty daemon.json: the host's /etc/berth/daemon.json must not leak into these daemons.
EMPTY_CONFIG=$TMP/empty.json
echo '{}' >"$EMPTY_CONFIG"

PIDS=()
on_exit 'for p in "${PIDS[@]}"; do kill -KILL $p; done'

# start NAME ARGS... — berthd in the background, its log in $TMP/NAME.log, its PID in $STARTED.
start() {
	local name=$1
	shift
	"$BERTHD" "$@" 2>"$TMP/$name.log" &
	STARTED=$!
	PIDS+=("$STARTED")
}

# run_berthd ARGS... — berthd in the foreground for the daemons that must refuse to start.
run_berthd() {
	timeout -k 5 20 "$BERTHD" "$@" 2>&1
}

# ---- mutual TLS next to the unix socket --------------------------------------------------------
PORT=$(free_port)
SOCK=$TMP/berth.sock
RUN=$TMP/run
start main --config-file "$EMPTY_CONFIG" --root "$TMP/root" --exec-root "$RUN" \
	-H "unix://$SOCK" -H "tcp://127.0.0.1:$PORT" "${SERVER_TLS[@]}"
MAIN_PID=$STARTED
if ! wait_until 20 docker -H "unix://$SOCK" version; then
	_not_ok "berthd answers on its unix socket"
	_indent "$(tail -20 "$TMP/main.log")"
	finish
fi
TCP=tcp://127.0.0.1:$PORT

out=$(docker "${CLIENT_TLS[@]}" -H "$TCP" version --format '{{.Server.APIVersion}}' 2>&1)
check_eq "docker --tlsverify with a client certificate: docker version" "1.47" "$out"
out=$(DOCKER_HOST=$TCP DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$CLIENT_DIR \
	docker info --format '{{.DockerRootDir}}' 2>&1)
check_eq "DOCKER_TLS_VERIFY + DOCKER_CERT_PATH: docker info" "$TMP/root" "$out"
check "the unix socket serves at the same time" docker -H "unix://$SOCK" info
out=$(docker --tlsverify --tlscacert "$CERTS/ca.pem" -H "$TCP" version 2>&1)
check "no client certificate: refused" test $? -ne 0
check_not_contains "no client certificate: no server version" "API version:  1.47" "$out"
out=$(docker --tlsverify --tlscacert "$CERTS/ca.pem" --tlscert "$CERTS/stranger-cert.pem" \
	--tlskey "$CERTS/stranger-key.pem" -H "$TCP" version --format '{{.Server.APIVersion}}' 2>&1)
check "a client certificate from another CA: refused" test $? -ne 0
check_ne "another CA: no server version" "1.47" "$out"
check_fails "plain HTTP on the TLS port: refused" docker -H "$TCP" version --format '{{.Server.APIVersion}}'
out=$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/_ping" 2>&1)
check_ne "curl over plain HTTP gets no answer" "OK" "$out"
out=$(curl -sS --max-time 10 --cacert "$CERTS/ca.pem" --cert "$CERTS/client-cert.pem" \
	--key "$CERTS/client-key.pem" --tls-max 1.1 "https://127.0.0.1:$PORT/_ping" 2>&1)
check_ne "TLS 1.1 is refused" "OK" "$out"
out=$(curl -sS --max-time 10 --cacert "$CERTS/ca.pem" --cert "$CERTS/client-cert.pem" \
	--key "$CERTS/client-key.pem" --tlsv1.2 --tls-max 1.2 "https://127.0.0.1:$PORT/_ping" 2>&1)
check_eq "TLS 1.2 with a client certificate (curl)" "OK" "$out"

# The PID file, and a second daemon on the same exec root.
check_eq "the PID file holds berthd's PID" "$MAIN_PID" "$(cat "$RUN/berthd.pid" 2>/dev/null)"
out=$(run_berthd --config-file "$EMPTY_CONFIG" --root "$TMP/root2" --exec-root "$RUN" \
	-H "unix://$TMP/second.sock")
check_contains "a second daemon with the same PID file refuses to start" "pid file found" "$out"
check "the first daemon still answers" docker -H "unix://$SOCK" version

# ---- plain TCP ---------------------------------------------------------------------------------
PORT2=$(free_port)
out=$(run_berthd --config-file "$EMPTY_CONFIG" --root "$TMP/root-plain" \
	--exec-root "$TMP/run-plain" -H "tcp://127.0.0.1:$PORT2")
rc=$?
check "plain tcp:// without --insecure-tcp: berthd exits with an error" test $rc -ne 0 -a $rc -ne 124
check_contains "plain tcp:// refused: why, and what to do" "--insecure-tcp" "$out"
check_contains "plain tcp:// refused: names the address" "tcp://127.0.0.1:$PORT2" "$out"
check "plain tcp:// refused: no PID file left" test ! -e "$TMP/run-plain/berthd.pid"

start insecure --config-file "$EMPTY_CONFIG" --root "$TMP/root-plain" \
	--exec-root "$TMP/run-plain" -H "tcp://127.0.0.1:$PORT2" --insecure-tcp
INSECURE_PID=$STARTED
out=$(wait_until 20 docker -H "tcp://127.0.0.1:$PORT2" version && docker -H "tcp://127.0.0.1:$PORT2" version --format '{{.Server.APIVersion}}' 2>&1)
check_eq "--insecure-tcp serves plain HTTP on TCP" "1.47" "$out"
check_contains "--insecure-tcp warns loudly" "INSECURE" "$(cat "$TMP/insecure.log")"
kill -TERM "$INSECURE_PID"
wait "$INSECURE_PID"

# ---- daemon.json -------------------------------------------------------------------------------
CFG_SOCK=$TMP/cfg.sock
cat >"$TMP/daemon.json" <<EOF
{
  "hosts": ["unix://$CFG_SOCK"],
  "data-root": "$TMP/cfg-root",
  "exec-root": "$TMP/cfg-run",
  "pidfile": "$TMP/cfg.pid",
  "debug": true,
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "3"},
  "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 4096}},
  "live-restore": true
}
EOF
start cfg --config-file "$TMP/daemon.json"
CFG_PID=$STARTED
if wait_until 20 docker -H "unix://$CFG_SOCK" version; then
	_ok "daemon.json hosts: berthd listens on its socket"
	check_eq "daemon.json data-root" "$TMP/cfg-root" \
		"$(docker -H "unix://$CFG_SOCK" info --format '{{.DockerRootDir}}')"
	check_eq "daemon.json pidfile" "$CFG_PID" "$(cat "$TMP/cfg.pid" 2>/dev/null)"
	check "daemon.json exec-root is made" test -d "$TMP/cfg-run"
	check_contains "daemon.json debug: requests are logged" "level=debug" "$(cat "$TMP/cfg.log")"
else
	_not_ok "daemon.json hosts: berthd listens on its socket"
	_indent "$(tail -20 "$TMP/cfg.log")"
fi
kill -TERM "$CFG_PID"
wait "$CFG_PID"
check "daemon.json pidfile removed on SIGTERM" test ! -e "$TMP/cfg.pid"

out=$(run_berthd --config-file "$TMP/daemon.json" -H "unix://$TMP/flag.sock")
check_contains "a key both as a flag and in the file is dockerd's error" \
	"the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [unix://$TMP/flag.sock], from file: [unix://$CFG_SOCK])" "$out"
check "... and nothing listens" test ! -e "$TMP/flag.sock"
echo '{"debug": true, "storage-driver": "overlay2"}' >"$TMP/unknown.json"
out=$(run_berthd --config-file "$TMP/unknown.json")
check_contains "an unknown key is named" \
	"the following directives don't match any configuration option: storage-driver" "$out"
printf '{\n  "debug": true\n  "hosts": []\n}\n' >"$TMP/bad.json"
out=$(run_berthd --config-file "$TMP/bad.json")
check_contains "malformed JSON: the error names the file" "$TMP/bad.json" "$out"
check_contains "malformed JSON: and the line" "line 3" "$out"
out=$(run_berthd --config-file "$TMP/nonexistent.json")
check_contains "a missing --config-file is an error" "nonexistent.json" "$out"
echo '{"log-driver": "journald"}' >"$TMP/journald.json"
out=$(run_berthd --config-file "$TMP/journald.json")
check_contains "an unsupported log driver is refused" "not supported" "$out"

# ---- socket activation -------------------------------------------------------------------------
# What systemd does: bind the sockets, put them at fds 3…, set LISTEN_PID (the PID after exec is
# the same) and LISTEN_FDS, exec the daemon.
activate() { # UNIX_PATH TCP_PORT BERTHD_ARGS...
	local path=$1 port=$2
	shift 2
	exec "$PYTHON" - "$path" "$port" "$BERTHD" "$@" <<'EOF'
import os, socket, sys
path, port, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix.bind(path)
os.chmod(path, 0o660)
unix.listen(16)
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", port))
tcp.listen(16)
# Out of the way first: the sockets themselves may sit at fd 3 or 4 (and are close-on-exec).
passed = [os.dup(unix.fileno()), os.dup(tcp.fileno())]
for target, fd in enumerate(passed, start=3):
    os.dup2(fd, target, inheritable=True)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "2"
os.execv(argv[0], argv)
EOF
}
ACT_SOCK=$TMP/act.sock
PORT3=$(free_port)
activate "$ACT_SOCK" "$PORT3" --config-file "$EMPTY_CONFIG" --root "$TMP/act-root" \
	--exec-root "$TMP/act-run" -H fd:// "${SERVER_TLS[@]}" 2>"$TMP/act.log" &
ACT_PID=$!
PIDS+=("$ACT_PID")
if wait_until 20 docker -H "unix://$ACT_SOCK" version; then
	_ok "fd://: berthd serves the passed unix socket"
	out=$(docker "${CLIENT_TLS[@]}" -H "tcp://127.0.0.1:$PORT3" version --format '{{.Server.APIVersion}}' 2>&1)
	check_eq "fd://: the passed TCP socket speaks mutual TLS" "1.47" "$out"
	check_fails "fd://: ... and refuses clients without a certificate" \
		docker --tlsverify --tlscacert "$CERTS/ca.pem" -H "tcp://127.0.0.1:$PORT3" version
else
	_not_ok "fd://: berthd serves the passed unix socket"
	_indent "$(tail -20 "$TMP/act.log")"
fi
kill -TERM "$ACT_PID"
wait "$ACT_PID"
check_eq "fd://: SIGTERM exits 0" "0" "$?"
check "fd://: the socket file belongs to systemd and stays" test -S "$ACT_SOCK"
rm -f "$ACT_SOCK"

# fd://3 takes that one socket and closes the others.
activate "$ACT_SOCK" "$PORT3" --config-file "$EMPTY_CONFIG" --root "$TMP/act-root" \
	--exec-root "$TMP/act-run" -H fd://3 "${SERVER_TLS[@]}" 2>"$TMP/act3.log" &
ACT_PID=$!
PIDS+=("$ACT_PID")
check "fd://3: the unix socket is served" wait_until 20 docker -H "unix://$ACT_SOCK" version
check_fails "fd://3: the TCP socket (fd 4) is closed" \
	docker "${CLIENT_TLS[@]}" -H "tcp://127.0.0.1:$PORT3" version
kill -TERM "$ACT_PID"
wait "$ACT_PID"
rm -f "$ACT_SOCK"

out=$(run_berthd --config-file "$EMPTY_CONFIG" --root "$TMP/act-root" --exec-root "$TMP/act-run" -H fd://)
check_contains "fd:// without systemd's variables: a clear error" "socket activation" "$out"

# ---- SIGTERM -----------------------------------------------------------------------------------
kill -TERM "$MAIN_PID"
wait "$MAIN_PID"
check_eq "SIGTERM: berthd exits 0" "0" "$?"
check "SIGTERM: the socket file is removed" test ! -e "$SOCK"
check "SIGTERM: the PID file is removed" test ! -e "$RUN/berthd.pid"
check_fails "SIGTERM: the TCP port is closed" \
	"$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 2)"
check_contains "berthd logged its listeners" "API listening on tcp://127.0.0.1:$PORT" \
	"$(cat "$TMP/main.log")"

finish
