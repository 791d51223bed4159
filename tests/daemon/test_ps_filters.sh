#!/usr/bin/env bash
# docker ps with its filters as scripts use them, answered as dockerd answers: name (a regex
# against the name with and without its "/": `--filter name=^web$`), id (a unique prefix),
# label, status (which lists stopped containers), exited, health, before/since, ancestor, volume,
# network, publish/expose (no ports yet: nothing), is-task; dockerd's errors for bad filters; and
# the COMMAND column with the arguments' quoting ("sh -c 'sleep 1000'").
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

mkdir -p "$TMP/data"
short() { docker inspect -f '{{.Id}}' "$1" | cut -c1-12; }
docker create --name fresh busybox true >/dev/null
docker run --name job busybox sh -c 'exit 3' >/dev/null
docker run -d --name web --label app=web --label tier=front busybox sh -c 'sleep 1000' >/dev/null
docker run -d --name web2 --label app=web -v "$TMP/data:/data" busybox sleep 1000 >/dev/null
docker run -d --name webapp --label app=api busybox sleep 1000 >/dev/null
WEB=$(short web) WEB2=$(short web2) WEBAPP=$(short webapp) JOB=$(short job) FRESH=$(short fresh)
# ps lists newest first.
ps_ids() { docker ps -q "$@" | tr '\n' ' ' | sed 's/ $//'; }

check_eq "name=^web\$ finds web" "$WEB" "$(ps_ids --filter 'name=^web$')"
check_eq "name=^/web\$ finds web" "$WEB" "$(ps_ids --filter 'name=^/web$')"
check_eq "name=web is a search" "$WEBAPP $WEB2 $WEB" "$(ps_ids --filter name=web)"
check_eq "two names: either" "$WEBAPP $WEB" "$(ps_ids --filter 'name=^web$' --filter name=app)"
check_eq "id: a prefix of the ID" "$WEB" "$(ps_ids --filter "id=${WEB:0:8}")"
check_eq "id: not a part inside it" "" "$(ps_ids --filter "id=${WEB:3:8}")"
check_eq "name and id: both must hold" "" "$(ps_ids --filter "id=$WEB" --filter name=web2)"
check_eq "label=app=web" "$WEB2 $WEB" "$(ps_ids --filter label=app=web)"
check_eq "label=app=web and label=tier" "$WEB" "$(ps_ids --filter label=app=web --filter label=tier)"
check_eq "status=exited lists stopped containers without -a" "$JOB" "$(ps_ids --filter status=exited)"
check_eq "status=created" "$FRESH" "$(ps_ids --filter status=created)"
check_eq "exited=3 without -a: running ones only, so none" "" "$(ps_ids --filter exited=3)"
check_eq "exited=3 with -a" "$JOB" "$(ps_ids -a --filter exited=3)"
check_eq "exited=0 with -a: never-started containers do not count" "" "$(ps_ids -a --filter exited=0)"
check_eq "health=none" "$WEBAPP $WEB2 $WEB" "$(ps_ids --filter health=none)"
check_eq "before=web2" "$WEB $JOB $FRESH" "$(ps_ids -a --filter before=web2)"
check_eq "since=web" "$WEBAPP $WEB2" "$(ps_ids -a --filter since=web)"
check_eq "ancestor=busybox" "$WEBAPP $WEB2 $WEB" "$(ps_ids --filter ancestor=busybox)"
check_eq "ancestor of an unknown image: none" "" "$(ps_ids --filter ancestor=nosuchimage)"
check_eq "volume by destination" "$WEB2" "$(ps_ids --filter volume=/data)"
check_eq "volume by source" "$WEB2" "$(ps_ids --filter "volume=$TMP/data")"
check_eq "network=none" "$WEBAPP $WEB2 $WEB" "$(ps_ids --filter network=none)"
check_eq "publish=80: no container publishes a port" "" "$(ps_ids --filter publish=80)"
check_eq "is-task=true: none" "" "$(ps_ids --filter is-task=true)"
check_eq "is-task=false: all" "$WEBAPP $WEB2 $WEB" "$(ps_ids --filter is-task=false)"

bad_filter() { # FILTER MESSAGE
	local out rc
	out=$(docker ps --filter "$1" 2>&1)
	rc=$?
	check_eq "--filter $1: refused" "1" "$rc"
	check_eq "--filter $1: dockerd's message" "Error response from daemon: $2" "$out"
}
bad_filter bogus=1 "invalid filter 'bogus'"
bad_filter status=bad "invalid filter 'status=bad': invalid value for state (bad): must be one of created, running, paused, restarting, removing, exited, dead"
bad_filter exited=abc "invalid filter 'exited=abc': strconv.Atoi: parsing \"abc\": invalid syntax"
bad_filter health=ok "invalid filter 'health=ok': invalid value for health (ok): must be one of none, starting, healthy, unhealthy"
bad_filter is-task=maybe "invalid filter 'is-task=[maybe]'"
bad_filter publish=8080:80 "filter for 'publish' should not contain ':': 8080:80"

check_eq "the COMMAND column keeps the arguments' quoting" "\"sh -c 'sleep 1000'\"" \
	"$(docker ps --no-trunc --filter name=^web$ --format '{{.Command}}')"
check_eq "inspect's Args are untouched" '[-c sleep 1000]' "$(docker inspect -f '{{.Args}}' web)"

finish
