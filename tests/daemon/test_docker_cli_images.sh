#!/usr/bin/env bash
# The stock docker CLI against berthd: version and info, then every image command (load, images,
# inspect, history, tag, rmi, save, prune, import) through the Docker Engine API on a unix socket,
# with docker's error messages; berthd stops cleanly on SIGTERM and removes its socket.
source "$(dirname "$0")/../lib.sh"

require_root
DOCKER=${DOCKER:-$(command -v docker)}
[ -x "$DOCKER" ] || skip_all "the docker CLI is not installed"
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"
BERTH=$BERTH_BIN/berth
BERTHD=$BERTH_BIN/berthd
SOCK=$TMP/berth.sock

# Only this daemon: no context, TLS or credential helpers from the caller's configuration.
export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TMP/docker-config
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
mkdir -p "$DOCKER_CONFIG"
docker() { timeout -k 5 120 "$DOCKER" "$@"; }

"$BERTHD" --config-file /dev/null --exec-root "$TMP/run" --root "$TMP/images" -H "unix://$SOCK" --debug 2>"$TMP/berthd.log" &
BERTHD_PID=$!
on_exit "kill -9 $BERTHD_PID"
if ! wait_until 20 docker version; then
	_not_ok "berthd answers docker version"
	_indent "$(tail -20 "$TMP/berthd.log")"
	finish
fi
# berthd's idle memory is measured by bench/daemon_bench.sh (memory is a benchmark figure,
# not a test assertion).

# ---- system ---------------------------------------------------------------------------------------
check_eq "docker version: server API 1.47" "1.47" "$(docker version --format '{{.Server.APIVersion}}')"
check_eq "docker version: minimum API 1.24" "1.24" \
	"$(docker version --format '{{.Server.MinAPIVersion}}')"
out=$(docker info 2>&1)
check "docker info exits 0" test $? -eq 0
check_contains "docker info: storage driver" "Storage Driver: overlay2" "$out"
check_contains "docker info: root dir" "Docker Root Dir: $TMP/images" "$out"
check_not_contains "docker info: no errors" "ERROR" "$out"
check_eq "docker info: no images yet" "0" "$(docker info --format '{{.Images}}')"
ping_headers=$(curl -sS -I --unix-socket "$SOCK" http://berth/_ping 2>&1)
check_contains "HEAD /_ping: Api-Version" "Api-Version: 1.47" "$ping_headers"
check_contains "HEAD /_ping: OSType" "OSType: linux" "$ping_headers"
out=$(curl -sS -w '%{http_code}' --unix-socket "$SOCK" http://berth/v1.99/version 2>&1)
check_eq "an API version above 1.47 is refused like docker" \
	'{"message":"client version 1.99 is too new. Maximum supported API version is 1.47"}
400' "$out"
out=$(curl -sS -w '%{http_code}' --unix-socket "$SOCK" http://berth/v1.47/nosuch 2>&1)
check_eq "an unknown path is a 404" '{"message":"page not found"}
404' "$out"

# ---- load, list, inspect, history -----------------------------------------------------------------
"$BERTH" --root "$TMP/seed" image bootstrap busybox >/dev/null &&
	"$BERTH" --root "$TMP/seed" save -o "$TMP/busybox.tar" busybox
seed_id=$("$BERTH" --root "$TMP/seed" image inspect --format '{{.Id}}' busybox)
check_eq "docker load" "Loaded image: busybox:latest" "$(docker load -i "$TMP/busybox.tar" 2>&1)"
short=${seed_id#sha256:}
short=${short:0:12}
out=$(docker images)
check_match "docker images: table" "busybox +latest +$short" "$out"
check_eq "docker images -q" "$short" "$(docker images -q)"
check_eq "docker images --format json" "busybox:latest" \
	"$(docker images --format json | "$PYTHON" -c 'import json,sys; r=json.loads(sys.stdin.readline()); print(r["Repository"]+":"+r["Tag"])')"
check_eq "docker image inspect: same ID as berth's" "$seed_id" \
	"$(docker image inspect --format '{{.Id}}' busybox)"
check_eq "docker image inspect: config" '["sh"]' \
	"$(docker image inspect --format '{{json .Config.Cmd}}' busybox)"
check_contains "docker history" "berth image bootstrap busybox" "$(docker history --no-trunc busybox)"

# ---- tag, rmi --------------------------------------------------------------------------------------
check "docker tag to a name with a registry port and slashes" \
	docker tag busybox localhost:5000/team/bb:v1
out=$(docker images --format '{{.Repository}}:{{.Tag}}' | sort)
check_eq "docker images shows both tags" "busybox:latest
localhost:5000/team/bb:v1" "$out"
check_eq "docker image inspect by that name" "$seed_id" \
	"$(docker image inspect --format '{{.Id}}' localhost:5000/team/bb:v1)"
check_eq "docker images REPOSITORY filters" "localhost:5000/team/bb" \
	"$(docker images --format '{{.Repository}}' localhost:5000/team/bb)"
check_eq "docker rmi of a tag untags" "Untagged: localhost:5000/team/bb:v1" \
	"$(docker rmi localhost:5000/team/bb:v1 2>&1)"
check_eq "the image stays under its other tag" "$short" "$(docker images -q)"

# ---- save, load round trip ------------------------------------------------------------------------
check_contains "docker save | tar t shows manifest.json" "manifest.json" \
	"$(docker save busybox | tar t)"
check "docker save -o" docker save -o "$TMP/round.tar" busybox
out=$(docker rmi busybox 2>&1)
check_contains "docker rmi of the last tag untags" "Untagged: busybox:latest" "$out"
check_contains "and deletes" "Deleted: $seed_id" "$out"
check_eq "no images left" "" "$(docker images -q)"
check_eq "docker load of docker save (stdin)" "Loaded image: busybox:latest" \
	"$(docker load <"$TMP/round.tar" 2>&1)"
check_eq "same ID after the round trip" "$seed_id" "$(docker image inspect --format '{{.Id}}' busybox)"

# ---- import ----------------------------------------------------------------------------------------
mkdir -p "$TMP/rootfs/bin"
cp /bin/busybox "$TMP/rootfs/bin/sh"
tar -C "$TMP/rootfs" -cf "$TMP/rootfs.tar" .
out=$(docker import -c 'CMD ["sh"]' -m "from a test" "$TMP/rootfs.tar" imported:v1 2>&1)
check_match "docker import prints the new ID" "^sha256:[0-9a-f]{64}$" "$out"
check_eq "docker import -c CMD" '["sh"]' "$(docker image inspect --format '{{json .Config.Cmd}}' imported:v1)"
check_eq "docker import -m" "from a test" "$(docker image inspect --format '{{.Comment}}' imported:v1)"
out=$(docker import - <"$TMP/rootfs.tar" 2>&1)
check_match "docker import from stdin, untagged" "^sha256:[0-9a-f]{64}$" "$out"
dangling=$out

# ---- prune -----------------------------------------------------------------------------------------
out=$(docker image prune -f 2>&1)
check_contains "docker image prune removes the dangling image" "deleted: $dangling" "$out"
check_eq "tagged images stay" "busybox:latest imported:v1" \
	"$(docker images --format '{{.Repository}}:{{.Tag}}' | sort | paste -sd' ')"
out=$(docker image prune -a -f 2>&1)
check_contains "docker image prune -a untags" "untagged: busybox:latest" "$out"
check_contains "and reports the space" "Total reclaimed space:" "$out"
check_eq "docker image prune -a leaves nothing" "" "$(docker images -q)"

# ---- errors ----------------------------------------------------------------------------------------
out=$(docker image inspect nosuch 2>&1)
check_eq "docker image inspect nosuch exits 1" "1" "$?"
check_contains "with docker's message" "No such image: nosuch" "$out"
check_fails "docker tag to an invalid name fails" docker tag busybox Bad:Name
docker load -i "$TMP/busybox.tar" >/dev/null
out=$(curl -sS -w '%{http_code}' -X POST --unix-socket "$SOCK" \
	"http://berth/v1.47/images/busybox/tag?repo=Bad&tag=Name" 2>&1)
check_match "the server refuses an invalid tag with a 400" '^\{"message":".+"\}400$' "$(tr -d '\n' <<<"$out")"
out=$(docker pull busybox 2>&1)
check_eq "docker pull fails" "1" "$?"
check_contains "saying it cannot pull yet" "berth cannot pull from a registry yet" "$out"
check_fails "docker save of an unknown image fails" docker save -o "$TMP/nosuch.tar" nosuch
out=$(printf 'not a tar' | docker load 2>&1)
check_eq "docker load of garbage fails" "1" "$?"

# ---- stop --------------------------------------------------------------------------------------------
kill -TERM "$BERTHD_PID"
wait "$BERTHD_PID"
check_eq "berthd exits 0 on SIGTERM" "0" "$?"
check "berthd removed its socket" test ! -e "$SOCK"
check_contains "--debug logged the requests" "GET /v1.47/images/json 200" "$(cat "$TMP/berthd.log")"

finish
