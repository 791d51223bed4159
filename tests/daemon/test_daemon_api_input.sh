#!/usr/bin/env bash
# What clients send that berthd must refuse cleanly or ignore: JSON nested deeper than Go's
# decoder allows (a stack overflow once), unknown fields of a create body (stored verbatim
# once), malformed chunked bodies (a 503 once), and a body posted to a route berthd lacks (the
# client saw "write: broken pipe" instead of the 404).
source "$(dirname "$0")/../lib.sh"

require_root
source "$(dirname "$0")/berthd_lib.sh"
command -v curl >/dev/null || skip_all "curl is not installed"

start_berthd
import_busybox

# api METHOD PATH [CURL ARGS...] — the status code; the body goes to $TMP/body.
api() {
	local method=$1 path=$2
	shift 2
	curl -sS -o "$TMP/body" -w '%{http_code}' --unix-socket "$SOCK" -X "$method" \
		-H 'Content-Type: application/json' "$@" "http://berth$path"
}
# nested DEPTH — a create body nesting DEPTH deep: its unknown field "X" holds DEPTH-1 arrays.
nested() {
	"$PYTHON" -c 'import sys; d = int(sys.argv[1]) - 1; sys.stdout.write("{\"Image\": \"busybox\", \"Cmd\": [\"true\"], \"X\": " + "[" * d + "]" * d + "}")' "$1"
}

# ---- JSON nesting ------------------------------------------------------------------------------
nested 1000000 >"$TMP/deep.json"
check_eq "a create body nested 1,000,000 deep is a 400" 400 \
	"$(api POST /containers/create --data-binary @"$TMP/deep.json")"
check_contains "... that says why" "exceeded max depth" "$(cat "$TMP/body")"
check "berthd is alive" kill -0 "$BERTHD_PID"
nested 10001 >"$TMP/deep.json"
check_eq "10,001 levels (one past Go's limit) is a 400" 400 \
	"$(api POST /containers/create --data-binary @"$TMP/deep.json")"
nested 10000 >"$TMP/deep.json"
check_eq "10,000 levels, as Go allows, is a 201" 201 \
	"$(api POST /containers/create --data-binary @"$TMP/deep.json")"
deep_id=$(sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p' "$TMP/body")
check "... a container was created" docker inspect "${deep_id:-none}"
check_not_contains "... and the unknown deep field is not in inspect" '[[[[' \
	"$(docker inspect "$deep_id" 2>&1)"
check_fails "... nor in metadata.db" grep -q '\[\[\[\[\[\[\[\[' "$DATA_ROOT"/metadata.db*

# ---- unknown fields ----------------------------------------------------------------------------
check_eq "a create body with unknown fields is a 201" 201 \
	"$(api POST '/containers/create?name=unknown' --data-binary \
		'{"Image": "busybox", "cmd": ["echo", "lower-case key"], "Secret": "s3cr3t-field",
		  "HostConfig": {"Bogus": {"x": 1}, "AutoRemove": false},
		  "Healthcheck": {"Test": ["NONE"], "Mystery": 1}}')"
check "... the container exists" docker inspect unknown
inspect=$(docker inspect unknown)
check_not_contains "unknown top-level fields are not stored" "s3cr3t-field" "$inspect"
check_not_contains "unknown HostConfig fields are not stored" "Bogus" "$inspect"
check_not_contains "unknown Healthcheck fields are not stored" "Mystery" "$inspect"
check_eq "keys match case-insensitively, as in Go" "[echo lower-case key]" \
	"$(docker inspect -f '{{.Config.Cmd}}' unknown)"
check_eq "nesting where docker has none is a 400" 400 \
	"$(api POST /containers/create --data-binary '{"Image": "busybox", "Labels": {"a": {"b": "c"}}}')"
check_contains "... naming the field" "Config.Labels.a: must be a string" "$(cat "$TMP/body")"

# ---- malformed chunked bodies ------------------------------------------------------------------
chunked() {
	"$PYTHON" - "$SOCK" <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_UNIX)
		s.connect(sys.argv[1])
		s.sendall(b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		          b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
		data = b""
		while True:
		    chunk = s.recv(4096)
		    if not chunk:
		        break
		    data += chunk
		print(data.decode(errors="replace").splitlines()[0] if data else "nothing")
	EOF
}
check_eq "a malformed chunked body is a 400, the client's fault" "HTTP/1.1 400 Bad Request" "$(chunked)"

# ---- a body posted to a route berthd lacks -----------------------------------------------------
# docker build posts its context to /build, which berthd does not serve: the CLI must get the
# 404, not a broken pipe from a connection closed under its upload.
mkdir -p "$TMP/context"
head -c 30000000 /dev/urandom >"$TMP/context/big"
echo 'FROM busybox' >"$TMP/context/Dockerfile"
answers=""
for i in 1 2 3 4 5; do
	out=$(DOCKER_BUILDKIT=0 docker build -q -t built "$TMP/context" 2>&1)
	if [[ $out == *"page not found"* ]]; then answers+="404 "; else answers+="[$out] "; fi
done
check_eq "five uploads to a missing route all get the 404" "404 404 404 404 404 " "$answers"
check_eq "curl too, with a 30 MB body" 404 \
	"$(api POST /nonexistent --data-binary @"$TMP/context/big")"
# status:new connections, for a POST with a body to a missing route and a ping behind it.
check_eq "a small body to a missing route keeps the connection for the next request" \
	"404:1 200:0" "$(curl -sS -o /dev/null -w '%{http_code}:%{num_connects} ' --unix-socket "$SOCK" \
		-X POST -d '{"a": 1}' http://berth/nonexistent --next -o /dev/null \
		-w '%{http_code}:%{num_connects}' --unix-socket "$SOCK" http://berth/_ping)"
# ---- integer query parameters: Go's strconv.Atoi, as dockerd reads them ------------------------
api POST '/containers/create?name=qint' -d '{"Image": "busybox", "Cmd": ["sleep", "60"]}' >/dev/null
check_eq "the container to stop starts" 204 "$(api POST /containers/qint/start)"
check_eq "stop?t=%2B1 (+1) is a timeout of 1, as Go's Atoi reads it" 204 "$(api POST '/containers/qint/stop?t=%2B1')"
check_eq "stop?t=1x is a 400" 400 "$(api POST '/containers/qint/stop?t=1x')"
check_eq "stop?t=%2B-1 (+-1) is a 400" 400 "$(api POST '/containers/qint/stop?t=%2B-1')"
api DELETE '/containers/qint?force=1' >/dev/null

check "berthd is alive" kill -0 "$BERTHD_PID"

finish
