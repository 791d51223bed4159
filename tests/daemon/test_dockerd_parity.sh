#!/usr/bin/env bash
# The same docker CLI sessions against berthd and against a private dockerd (tests/peers/
# dockerd_lib.sh), compared byte for byte where users read the output: the ps COMMAND column,
# ps filters scripts use, docker diff, the events of a session (container and image events), the
# layer of a commit, and -w naming a missing directory. Skipped when dockerd cannot start here.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"
source "$(dirname "$0")/../peers/dockerd_lib.sh"

start_berthd
import_busybox
BERTHD_HOST=$DOCKER_HOST BERTHD_CLI_CONFIG=$DOCKER_CONFIG
on_exit stop_private_dockerd
PD_DIR=
if ! start_private_dockerd >"$TMP/dockerd-start.log" 2>&1; then
	export DOCKER_HOST=$BERTHD_HOST DOCKER_CONFIG=$BERTHD_CLI_CONFIG
	skip_all "dockerd cannot start here: ${PD_START_ERROR:-see its log}"
fi
PEER_HOST=$DOCKER_HOST PEER_CLI_CONFIG=$DOCKER_CONFIG
export DOCKER_HOST=$BERTHD_HOST DOCKER_CONFIG=$BERTHD_CLI_CONFIG
DOCKER_HOST=$PEER_HOST DOCKER_CONFIG=$PEER_CLI_CONFIG import_busybox

# same NAME FUNCTION — runs FUNCTION against each daemon and compares what it printed.
same() {
	local name=$1 ours theirs
	shift
	ours=$("$@" 2>&1)
	theirs=$(DOCKER_HOST=$PEER_HOST DOCKER_CONFIG=$PEER_CLI_CONFIG "$@" 2>&1)
	check_eq "$name: as dockerd" "$theirs" "$ours"
}

ps_commands() {
	docker run -d --name c1 busybox sh -c 'sleep 1000' >/dev/null 2>&1
	docker run -d --name c2 busybox sleep 1000 >/dev/null 2>&1
	docker run -d --name c3 --entrypoint sh busybox -c 'echo "a b"; sleep 1000' >/dev/null 2>&1
	docker run -d --name c4 busybox sh -c "echo it's; sleep 1000" >/dev/null 2>&1
	docker run -d --name c5 busybox env 'A=x  y' sleep 1000 >/dev/null 2>&1
	docker ps --no-trunc --format '{{.Names}} {{.Command}}' | sort
	docker ps --format '{{.Names}} {{.Command}}' | sort
}
same "ps COMMAND column" ps_commands

ps_filters() {
	docker run -d --name web busybox sleep 1000 >/dev/null 2>&1
	docker run -d --name web2 busybox sleep 1000 >/dev/null 2>&1
	docker create --name made busybox true >/dev/null 2>&1
	docker run --name ended busybox sh -c 'exit 2' >/dev/null 2>&1
	local filter
	for filter in 'name=^web$' 'name=^/web$' name=web 'name=^c[12]$' status=exited status=created \
		exited=2 health=none is-task=false; do
		echo "$filter: $(docker ps -a --filter "$filter" --format '{{.Names}}' | sort | tr '\n' ' ')"
	done
	echo "running exited=2: $(docker ps --filter exited=2 --format '{{.Names}}')"
	# (Bad filters are refused in today's dockerd's words, which 20.10's differ from:
	# test_ps_filters.sh checks those.)
	docker ps --filter bogus=1 >/dev/null 2>&1 || echo "bogus filter refused"
}
same "ps filters" ps_filters

diff_output() {
	docker run --name changer busybox sh -c 'echo x >/etc/motd; mkdir -p /srv/data; rm /bin/vi' >/dev/null 2>&1
	docker diff changer | sort
	docker run --name unchanged busybox true >/dev/null 2>&1
	echo "unchanged: [$(docker diff unchanged)]"
}
same "docker diff" diff_output

workdir() {
	docker run --rm -w /new/dir busybox sh -c 'pwd; stat -c "%n %U %a" /new /new/dir' 2>/dev/null
	docker run --rm -u app -w /home/app/x busybox sh -c 'pwd; stat -c "%U %a" .' 2>/dev/null
	docker run --rm -w /tmp/../a/./b busybox pwd 2>/dev/null
}
same "run -w of a missing directory" workdir

session_events() {
	local start end
	start=$(date +%s.%N)
	docker run -d --name e1 busybox sleep 100 >/dev/null 2>&1
	docker run --name e2 busybox echo hi >/dev/null 2>&1
	docker exec e1 true
	docker exec e1 sh -c 'exit 3'
	docker exec e1 nosuch >/dev/null 2>&1
	docker pause e1 >/dev/null
	docker unpause e1 >/dev/null
	docker rename e1 e1b
	docker commit e1b parity:1 >/dev/null
	docker kill -s USR1 e1b >/dev/null
	docker stop -t 1 e1b >/dev/null
	# One at a time: the CLI removes the containers of one command in parallel.
	docker rm e1b >/dev/null
	docker rm e2 >/dev/null
	end=$(date +%s.%N)
	docker events --since "$start" --until "$end" --filter type=container \
		--format '{{.Action}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.exitCode}}{{.Actor.Attributes.signal}}{{.Actor.Attributes.oldName}}|{{.Actor.Attributes.image}}' |
		sed 's/<no value>//g'
}
same "the events of a session" session_events

# Image IDs differ between the daemons (creation times): each is named by its first appearance.
number_ids() {
	awk '{ while (match($0, /sha256:[0-9a-f]+/)) { id = substr($0, RSTART, RLENGTH)
		if (!(id in n)) n[id] = "image" ++count
		$0 = substr($0, 1, RSTART - 1) n[id] substr($0, RSTART + RLENGTH) } print }'
}

file_and_stop_events() {
	local start end
	start=$(date +%s.%N)
	docker run -d --name f1 busybox sleep 100 >/dev/null 2>&1
	docker export f1 >/dev/null
	docker cp f1:/etc/passwd "$TMP/parity-passwd"
	docker cp "$TMP/parity-passwd" f1:/tmp/
	docker cp f1:/no/such "$TMP/parity-x" 2>/dev/null
	docker stop -t 0 f1 >/dev/null
	docker run -d --name f2 busybox sleep 100 >/dev/null 2>&1
	docker rm -f f2 >/dev/null
	docker rm f1 >/dev/null
	end=$(date +%s.%N)
	docker events --since "$start" --until "$end" --filter type=container \
		--format '{{.Action}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.exitCode}}{{.Actor.Attributes.signal}}' |
		sed 's/<no value>//g'
}
same "export, cp and stop -t 0 events" file_and_stop_events

image_events() {
	local start end
	start=$(date +%s.%N)
	tar -C "$TMP/busybox-rootfs" -c . | docker import --change 'LABEL a=b' - parity-img:1 >/dev/null
	docker tag parity-img:1 parity-img:2
	docker rmi parity-img:2 >/dev/null
	docker run --name ci parity-img:1 true >/dev/null 2>&1
	docker commit ci parity-img:3 >/dev/null
	docker rm ci >/dev/null
	docker save parity-img:1 -o "$TMP/parity.tar"
	# Child first: dockerd keeps an image that a committed one was made from until the child goes.
	docker rmi parity-img:3 parity-img:1 >/dev/null
	docker load -i "$TMP/parity.tar" >/dev/null
	docker rmi parity-img:1 >/dev/null
	end=$(date +%s.%N)
	docker events --since "$start" --until "$end" --filter type=image \
		--format '{{.Action}}|{{.Actor.ID}}|{{.Actor.Attributes.name}}|{{.Actor.Attributes.a}}' |
		sed 's/<no value>//g' | number_ids
}
same "image events" image_events

committed_layer() {
	local dir=$TMP/parity-save-$RANDOM
	docker run --name cl busybox sh -c 'echo hi >/tmp/f' >/dev/null 2>&1
	docker commit cl parity-layer:1 >/dev/null
	mkdir -p "$dir" && docker save parity-layer:1 | tar -x -C "$dir"
	tar -tf "$dir/$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$dir/manifest.json")" | sed 's|^\./||; s|/$||' | sort
	docker rm cl >/dev/null
}
same "the layer of a commit" committed_layer

finish
