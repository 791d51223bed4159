#!/usr/bin/env bash
# docker update and docker commit against berthd, as dockerd answers them.
#   update: new limits reach a running container's cgroup at once and a stopped one's at its next
#   start, are saved in its HostConfig (inspect, and after a daemon restart), the restart policy
#   changes, dockerd's errors (too little memory, conflicts with what is set, AutoRemove with a
#   restart policy, an unknown container) change nothing, and a host without a blkio weight
#   gets dockerd's warning.
#   commit: the container's file changes (added, changed, deleted files) as a new image, -c
#   changes, -m and -a, paused while committed (and running after), of a stopped container too,
#   an untagged image without a name; docker's errors for a bad change and an unknown container.
# Events: update, pause/commit/unpause.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

cgroup_file() { # ID CONTROLLER FILE
	cat "$(find /sys/fs/cgroup/"$2" -maxdepth 3 -type d -name "$1" | head -n 1)/$3" 2>/dev/null
}
hc() { docker inspect -f "{{.HostConfig.$2}}" "$1"; }

# --- update ------------------------------------------------------------------------------------
docker run -d --name box busybox sleep 1000 >/dev/null
ID=$(docker inspect -f '{{.Id}}' box)
check_eq "update prints the container's name" "box" \
	"$(docker update --cpus 0.5 --memory 100m --memory-swap 200m --pids-limit 50 --restart on-failure:3 box 2>&1)"
check_eq "update: inspect shows the new limits" "500000000 104857600 209715200 50" \
	"$(docker inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}' box)"
check_eq "update: and the restart policy" "on-failure 3" \
	"$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' box)"
check_eq "update: the running container's memory limit" "104857600" "$(cgroup_file "$ID" memory memory.limit_in_bytes)"
check_eq "update: its pids limit" "50" "$(cgroup_file "$ID" pids pids.max)"
check_eq "update: its CPU quota (0.5 of a 100 ms period)" "50000 100000" \
	"$(cgroup_file "$ID" cpu cpu.cfs_quota_us) $(cgroup_file "$ID" cpu cpu.cfs_period_us)"
check "update --pids-limit -1 lifts the limit" docker update --pids-limit -1 box
check_eq "update: pids.max is max again" "max" "$(cgroup_file "$ID" pids pids.max)"
check_eq "update: inspect shows no pids limit" "0" "$(hc box PidsLimit)"
check "update of a paused container" sh -c "docker pause box >/dev/null && docker update --memory 120m --memory-swap 240m box >/dev/null && docker unpause box >/dev/null"
check_eq "update of a paused container reaches its cgroup" "125829120" "$(cgroup_file "$ID" memory memory.limit_in_bytes)"

bad_update() { # NAME MESSAGE ARGS…
	local name=$1 message=$2 out rc
	shift 2
	out=$(docker update "$@" 2>&1)
	rc=$?
	check_eq "$name: refused" "1" "$rc"
	check_contains "$name: dockerd's message" "$message" "$out"
}
bad_update "update --memory 1m" "Minimum memory limit allowed is 6MB" --memory 1m box
bad_update "update --memory above the swap limit" "Cannot update container $ID: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time" --memory 300m box
bad_update "update --cpu-quota with --cpus set" "Cannot update container $ID: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set" --cpu-quota 20000 box
bad_update "update of an unknown container" "No such container: nosuch" --cpus 1 nosuch
check_eq "failed updates changed nothing" "125829120 500000000 0" \
	"$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}}' box)"
docker run -d --rm --name tmp busybox sleep 1000 >/dev/null
bad_update "update --restart of an AutoRemove container" "Restart policy cannot be updated because AutoRemove is enabled for the container" --restart always tmp
docker rm -f tmp >/dev/null

docker create --name later busybox sleep 1000 >/dev/null
LATER=$(docker inspect -f '{{.Id}}' later)
check "update of a created container" docker update --memory 64m --memory-swap 128m later
docker start later >/dev/null
check_eq "its limit applies at the start" "67108864" "$(cgroup_file "$LATER" memory memory.limit_in_bytes)"
if [ ! -e /sys/fs/cgroup/blkio/blkio.weight ] && [ ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ] &&
	[ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
	out=$(docker update --blkio-weight 300 box 2>&1)
	check_contains "update --blkio-weight without a weight file: dockerd's warning" \
		"Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded." "$out"
	check_eq "and the weight is not kept" "0" "$(hc box BlkioWeight)"
else
	skip "update --blkio-weight: dockerd's warning" "this host has a blkio weight"
fi

# --- commit ------------------------------------------------------------------------------------
docker exec box sh -c 'echo data >/tmp/added; echo changed >/etc/group; rm /bin/vi'
out=$(docker commit -m "a message" -a "an author" -c 'ENV MODE=committed' -c 'CMD ["cat", "/tmp/added"]' box committed:1 2>&1)
check_match "commit prints the new image's ID" "^sha256:[0-9a-f]{64}$" "$out"
check_eq "the committed image runs its new CMD on the added file" "data" "$(docker run --rm committed:1 2>&1)"
check_eq "it has the changed file, not the deleted one, and the ENV" "changed|gone|committed" \
	"$(docker run --rm committed:1 sh -c 'echo "$(cat /etc/group)|$(test -e /bin/vi || echo gone)|$MODE"' 2>&1)"
check_eq "its author and comment" "an author|a message" \
	"$(docker inspect -f '{{.Author}}|{{.Comment}}' committed:1)"
check_eq "the container runs on (unpaused) after the commit" "running" \
	"$(docker inspect -f '{{.State.Status}}' box)"
check_eq "its image has one layer more than busybox" \
	"$(($(docker inspect -f '{{len .RootFS.Layers}}' busybox) + 1))" "$(docker inspect -f '{{len .RootFS.Layers}}' committed:1)"
check_match "commit without a name: an untagged image" "^sha256:" "$(docker commit box 2>&1)"
check "commit --pause=false" docker commit --pause=false box nopause:1
docker stop -t 1 later >/dev/null
check "commit of a stopped container" docker commit later stopped:1
out=$(docker commit -c 'FOO bar' box bad:1 2>&1)
check_eq "commit -c with an unknown instruction: refused" "1" "$?"
check_contains "commit -c with an unknown instruction: named" "is not a valid change command" "$out"
check_contains "commit of an unknown container" "No such container: nosuch" "$(docker commit nosuch 2>&1)"

# --- berth's own CLI ---------------------------------------------------------------------------
check_eq "berth update" "box" "$("$BERTH" update --cpus 0.25 box 2>&1)"
check_eq "berth update: applied" "250000000" "$(hc box NanoCpus)"
check_contains "berth update without a flag: docker's error" \
	"you must provide one or more flags when using this command" "$("$BERTH" update box 2>&1)"
check_match "berth commit" "^sha256:" "$("$BERTH" commit -c 'CMD ["echo", "by berth"]' box viaberth:1 2>&1)"
check_eq "berth commit: the image runs" "by berth" "$(docker run --rm viaberth:1 2>&1)"

# --- events ------------------------------------------------------------------------------------
events=$(docker events --since 0 --until "$(date +%s)" --filter container=box --format '{{.Action}}')
check_contains "an update event" "update" "$events"
check_contains "commit's events: pause, commit, unpause" "$(printf 'pause\ncommit\nunpause')" "$events"

stop_berthd
start_berthd
check_eq "updated limits survive a daemon restart" "125829120 on-failure" \
	"$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' box)"

finish
