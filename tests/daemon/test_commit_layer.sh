#!/usr/bin/env bash
# docker commit writes what the container changed, as dockerd does:
#   - not the runtime's mount targets (empty /etc/hostname, /etc/hosts, /etc/resolv.conf, and
#     /dev, /proc, /sys, which docker keeps in its init layer), nor an /etc that holds only them;
#   - but a mount target the container itself wrote (after an umount) is the container's change;
#   - the request's Config keeps only the fields of docker's container config.
# docker export shows the whole tree, placeholders included, as docker's does.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

# The entries of the top layer of IMAGE, one "path size" a line.
top_layer() {
	local dir=$TMP/save-$1 layer
	rm -rf "$dir" && mkdir -p "$dir"
	docker save "$1" | tar -x -C "$dir" || return 1
	layer=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$dir/manifest.json")
	tar -tvf "$dir/$layer" | awk '{print $6, $3}' | sort
}

# --- the placeholders stay out ----------------------------------------------------------------
docker run --name writer busybox sh -c 'echo hi >/tmp/f' >/dev/null
docker commit writer committed:plain >/dev/null
check_eq "a commit's layer holds only what the container wrote" "$(printf 'tmp/ 0\ntmp/f 3')" \
	"$(top_layer committed:plain)"
check_eq "a container from the committed image has the file" "hi" \
	"$(docker run --rm committed:plain cat /tmp/f 2>&1)"
check_eq "and its own hostname" "h1" "$(docker run --rm --hostname h1 committed:plain hostname 2>&1)"

# A running container: its /dev, /proc and /sys are mounted; the same holds.
docker run -d --name running busybox sh -c 'echo x >/root/r; sleep 1000' >/dev/null
wait_until 20 docker exec running test -f /root/r
docker commit running committed:running >/dev/null
check_eq "a running container's commit leaves the mount targets out too" \
	"$(printf 'root/ 0\nroot/r 2')" "$(top_layer committed:running)"
docker rm -f running >/dev/null

# An image without /etc, /dev, /proc or /sys: what the runtime made for them stays out.
mkdir -p "$TMP/bare/bin"
cp /bin/busybox "$TMP/bare/bin/"
tar -C "$TMP/bare" -c . | docker import - bare:latest >/dev/null
docker run --name bare bare:latest /bin/busybox sh -c '/bin/busybox echo b >/b' >/dev/null
docker commit bare committed:bare >/dev/null
check_eq "an /etc made only for the mount targets stays out" "b 2" "$(top_layer committed:bare)"

# --- what the container wrote over a mount target is its own --------------------------------
docker run --privileged --name own busybox sh -c 'umount /etc/hostname && echo mine >/etc/hostname' >/dev/null
docker commit own committed:own >/dev/null
check_eq "a mount target the container wrote is committed" "$(printf 'etc/ 0\netc/hostname 5')" \
	"$(top_layer committed:own)"
check_eq "and docker diff shows it" "$(printf 'C /etc\nA /etc/hostname')" "$(docker diff own 2>&1)"
check_eq "docker diff shows no mount target the runtime made" "$(printf 'C /tmp\nA /tmp/f')" \
	"$(docker diff writer 2>&1)"

# --- the request's Config ---------------------------------------------------------------------
curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
	-d '{"cmd": ["echo", "x"], "Secret": {"a": [1]}, "HostConfig": {"Privileged": true}, "Labels": {"k": "v"}}' \
	"http://berth/v1.47/commit?container=writer&repo=committed&tag=config" >/dev/null
check_eq "a commit's Config keeps only docker's container config fields" \
	'{"Cmd":["echo","x"],"Labels":{"k":"v"}}' \
	"$(docker image inspect -f '{{json .Config}}' committed:config 2>&1)"
out=$(curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Labels": {"a": {"b": 1}}}' \
	-w ' %{http_code}' "http://berth/v1.47/commit?container=writer&repo=committed&tag=bad" | tr -d '\n')
check_eq "a Config nested where docker's has no nesting is a 400 naming the field" \
	'{"message":"Config.Labels.a: must be a string, not object"} 400' "$out"
check_fails "and makes no image" docker image inspect committed:bad

# --- docker export: the whole tree, as docker's ----------------------------------------------
exported=$(docker export writer | tar -t | sort)
check_contains "export has the container's file" "tmp/f" "$exported"
check_contains "export has the mount targets, as docker's does" "etc/hostname" "$exported"

finish
