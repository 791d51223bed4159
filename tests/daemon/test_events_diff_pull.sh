#!/usr/bin/env bash
# What docker users meet in events, diff and pull, as dockerd shows it:
#   docker events: the container actions of a session in dockerd's order and wording (attach,
#   exec_create/exec_start/exec_die with the command, kill per signal, die, stop, update,
#   rename, pause/commit/unpause, resize, destroy) with their attributes;
#   docker diff: what the container changed, without the files the runtime mounts over
#   (/etc/hostname, /etc/hosts, /etc/resolv.conf, /dev, /proc, /sys);
#   docker pull / docker run of a missing image: docker's "Unable to find image … locally", then
#   the image named as not found with how to get it, exit 125 for run.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

# --- diff --------------------------------------------------------------------------------------
docker run --name quiet busybox true >/dev/null
check_eq "diff of a container that changed nothing is empty" "" "$(docker diff quiet 2>&1)"
docker run --name writer busybox sh -c 'echo x >/etc/motd; mkdir -p /srv/data; rm /bin/vi' >/dev/null
check_eq "diff shows only the container's own changes" \
	"$(printf 'D /bin/vi\nC /bin\nA /etc/motd\nC /etc\nA /srv/data\nA /srv' | sort)" \
	"$(docker diff writer 2>&1 | sort)"
docker run -d --name running busybox sleep 1000 >/dev/null
check_eq "diff of a running container is empty too" "" "$(docker diff running 2>&1)"
docker rm -f quiet writer running >/dev/null

# --- events ------------------------------------------------------------------------------------
START=$(date +%s.%N)
docker run -d --name q1 busybox sleep 100 >/dev/null
docker run --name q2 busybox echo hi >/dev/null
docker exec q1 true
docker exec q1 sh -c 'exit 3'
docker exec q1 nosuch >/dev/null 2>&1
docker update --memory 64m --memory-swap 128m q1 >/dev/null
docker pause q1 >/dev/null
docker unpause q1 >/dev/null
docker rename q1 q1b
docker top q1b >/dev/null
docker commit q1b committed:1 >/dev/null
docker stop -t 1 q1b >/dev/null
docker rm q1b >/dev/null # one at a time: the CLI removes those of one command in parallel
docker rm q2 >/dev/null
docker run -d -t --name tty busybox sh >/dev/null
curl -sS -X POST --unix-socket "$SOCK" "http://berth/v1.47/containers/tty/resize?h=30&w=100" >/dev/null
docker rm -f tty >/dev/null
END=$(date +%s.%N)
events=$(docker events --since "$START" --until "$END" --filter type=container \
	--format '{{.Action}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.exitCode}}{{.Actor.Attributes.signal}}{{.Actor.Attributes.oldName}}{{.Actor.Attributes.height}}')
expected='create|q1|
start|q1|
create|q2|
attach|q2|
start|q2|
die|q2|0
exec_create: true |q1|
exec_start: true |q1|
exec_die|q1|0
exec_create: sh -c exit 3|q1|
exec_start: sh -c exit 3|q1|
exec_die|q1|3
exec_create: nosuch |q1|
exec_start: nosuch |q1|
update|q1|
pause|q1|
unpause|q1|
rename|q1b|/q1
top|q1b|
pause|q1b|
commit|q1b|
unpause|q1b|
kill|q1b|15
kill|q1b|9
die|q1b|137
stop|q1b|
destroy|q1b|
destroy|q2|
create|tty|
start|tty|
resize|tty|30
kill|tty|9
die|tty|137
destroy|tty|'
check_eq "docker events: the session's container actions, as dockerd reports them" "$expected" \
	"${events//<no value>/}"
exec_die=$(docker events --since "$START" --until "$END" --filter event=exec_die --format '{{json .Actor.Attributes}}' | head -n 1)
check_match "exec_die carries the execID" '"execID":"[0-9a-f]{64}"' "$exec_die"
commit=$(docker events --since "$START" --until "$END" --filter event=commit --format '{{.Actor.Attributes.imageRef}} {{.Actor.Attributes.imageID}}')
check_match "commit carries the image's name and ID" '^committed:1 sha256:[0-9a-f]{64}$' "$commit"
resize=$(docker events --since "$START" --until "$END" --filter event=resize --format '{{.Actor.Attributes.height}}x{{.Actor.Attributes.width}}')
check_eq "resize carries the size" "30x100" "$resize"

# --- pull --------------------------------------------------------------------------------------
out=$(docker pull nosuchimage 2>&1)
check_eq "pull of a missing image fails" "1" "$?"
check_contains "pull: the image is not found" "No such image: nosuchimage:latest" "$out"
check_contains "pull: and how to get it" "docker load" "$out"
out=$(docker run --rm nosuchimage 2>&1)
check_eq "run of a missing image: exit code 125" "125" "$?"
check_contains "run: docker's line first" "Unable to find image 'nosuchimage:latest' locally" "$out"
check_contains "run: then why" "No such image: nosuchimage:latest (berth cannot pull from a registry yet" "$out"
check_not_contains "run: nothing about pulling being unsupported" "not supported" "$out"
out=$(docker pull busybox 2>&1)
check_contains "pull of a stored image: it is used as it is" \
	"berth cannot pull from a registry yet: busybox:latest is stored locally and is used as it is" "$out"

finish
