#!/usr/bin/env bash
# Container events dockerd publishes for what clients do with a container's files and streams,
# with its attributes (compared with dockerd 20.10):
#   export (docker export), archive-path (docker cp out of the container: GET archive, not the
#   HEAD stat), extract-to-dir (docker cp into it), nothing for a copy that fails;
#   detach: an attached client sent the detach keys (the server saw them: the API's raw stream);
#   docker stop -t 0: kill with the stop signal, then kill 9, die, stop.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

docker run -dit --name files busybox sh >/dev/null
START=$(date +%s.%N)

# Attaches over the raw API (the daemon sees the detach keys: the docker CLI catches them itself
# on a terminal) and sends ctrl-p ctrl-q; prints what the stream did.
"$PYTHON" - "$SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /v1.47/containers/files/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
          b"Host: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(4096)
s.sendall(b"\x10\x11")
s.settimeout(20)
while s.recv(4096):
    pass
EOF
check_eq "a client that sent the detach keys is detached, the container runs on" running \
	"$(docker inspect -f '{{.State.Status}}' files)"

docker export files >/dev/null
docker cp files:/etc/passwd "$TMP/passwd"
docker cp "$TMP/passwd" files:/tmp/passwd
docker cp files:/no/such/file "$TMP/x" 2>/dev/null
docker stop -t 0 files >/dev/null
END=$(date +%s.%N)

events=$(docker events --since "$START" --until "$END" --filter container=files \
	--format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}} {{with .Actor.Attributes.signal}}{{.}}{{end}}{{with .Actor.Attributes.exitCode}}{{.}}{{end}}')
expected='attach files busybox 
detach files busybox 
export files busybox 
archive-path files busybox 
extract-to-dir files busybox 
kill files busybox 15
kill files busybox 9
die files busybox 137
stop files busybox '
check_eq "events of detach, export, cp and stop -t 0, as dockerd's" "$expected" "$events"

finish
