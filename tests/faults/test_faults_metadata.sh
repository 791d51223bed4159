#!/usr/bin/env bash
# A corrupt metadata.db (garbage after a kill -9) and `berthd --recover-metadata`: without the
# flag berthd refuses (exit 65) with an error that names the flag; with it the damaged file is
# kept as metadata.db.damaged-TIME, the containers are recorded again from their directories
# (a running one adopted with its process, a created and an exited one usable), the images from
# the image store (without their tags, said in the log), and the next start needs no flag.
source "$(dirname "$0")/../lib.sh"
require_root
MARK=$((6200000 + $$ % 100000))
on_exit "pkill -KILL -f 'sleep $MARK'"
source "$(dirname "$0")/../daemon/berthd_lib.sh"

DB=$DATA_ROOT/metadata.db
start_berthd
import_busybox
IMAGE=$(docker images -q --no-trunc busybox:latest)
docker run -d --name up busybox sleep "$MARK" >/dev/null
docker create --name cr busybox sleep "$MARK" >/dev/null
docker run --name ex busybox sh -c 'exit 4'
UP_PID=$(docker inspect -f '{{.State.Pid}}' up)
stop_berthd KILL
head -c 65536 /dev/urandom >"$DB"
rm -f "$DB-wal" "$DB-shm"

rm -f "$SOCK"
timeout -k 5 30 "$BERTHD" --config-file /dev/null --root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
	-H "unix://$SOCK" 2>"$TMP/refused.log"
check_eq "a corrupt database is refused (exit 65)" 65 "$?"
check_contains "the error names the flag that rebuilds it" "start berthd with --recover-metadata" \
	"$(grep level=error "$TMP/refused.log")"

printf '#!/bin/sh\nexec %s --recover-metadata "$@"\n' "$BERTHD" >"$TMP/berthd-recover"
chmod +x "$TMP/berthd-recover"
LOG_MARK=$(stat -c %s "$TMP/berthd.log")
BERTHD=$TMP/berthd-recover start_berthd
log=$(tail -c +$((LOG_MARK + 1)) "$TMP/berthd.log")
check "the damaged file is kept aside" compgen -G "$DB.damaged-*"
check_contains "and the log says where" "moved aside as $DB.damaged-" "$log"
check_eq "the containers are recorded again, each in its state" "cr created|ex exited 4|up running" \
	"$(docker ps -a --format '{{.Names}}' | sort | while read -r n; do
		docker inspect -f "$n {{.State.Status}}{{if eq .State.Status \"exited\"}} {{.State.ExitCode}}{{end}}" "$n"
	done | paste -sd '|')"
check_eq "the running one is adopted with its own process" "$UP_PID" "$(docker inspect -f '{{.State.Pid}}' up)"
check_eq "the image is recorded again, by its ID" "$IMAGE" "$(docker images -q --no-trunc | sort -u)"
check_contains "the log says its tags are lost" "1 images recorded again from the image store, without their tags" "$log"
check_eq "it runs containers" "hi" "$(docker run --rm "$IMAGE" echo hi 2>&1)"
check "the created one starts" docker start cr
check "the exited one starts" docker start ex
check "and all are removed" docker rm -f up cr ex
gone() { ! pgrep -f "sleep $MARK" >/dev/null; }
check "no process is left" wait_until 20 gone

stop_berthd
start_berthd
check_eq "the next start needs no flag" "$IMAGE" "$(docker images -q --no-trunc | sort -u)"
finish
