#!/usr/bin/env bash
# berthd started over damaged state. A damaged or lost metadata.db (garbage, truncated, zero
# bytes, missing, a -wal lost before the first checkpoint) is refused: exit 65 within bounds and
# one error line naming the file, no crash, no hang, and nothing touched (the good file put back
# starts as before). A -wal lost after a checkpoint starts with the checkpointed state, records
# again the containers whose directories hold a container.json (a running one adopted), and a
# container removed since does not come back. Damaged per-container files (monitor.json, exit.json, a record in the database,
# config.json, a log with garbage and a block of zeros, the runtime's state.json) and a garbage
# engine-id cost that container at most, with a log line naming the file; the rest works.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

DB=$DATA_ROOT/metadata.db
mkdir -p "$TMP/trigger"

# refused_start NAME — berthd over the damaged root: exit 65 with one error line naming the
# database (not a crash, not a hang: a timeout is 124, a signal 128+N).
refused_start() {
	local rc err
	rm -f "$SOCK" # a killed daemon's
	timeout -k 5 30 "$BERTHD" --config-file /dev/null --root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
		-H "unix://$SOCK" 2>"$TMP/refused.log"
	rc=$?
	err=$(grep 'level=error' "$TMP/refused.log")
	check_eq "$1: berthd refuses with exit status 65" "65" "$rc"
	check_eq "$1: one error line" "1" "$(grep -c 'level=error' "$TMP/refused.log")"
	check_contains "$1: it names the database" "msg=\"metadata database $DB " "$err"
	check_contains "$1: and says what to do" "restore it from a backup, or move $DATA_ROOT aside" "$err"
	check_fails "$1: no socket is left" test -e "$SOCK"
}
wal_aside() { mv "$DB-wal" "$TMP/saved-wal" && rm -f "$DB-shm"; }

# A -wal lost before its first checkpoint: the database file has no tables at all.
start_berthd
import_busybox
docker create --name early busybox true >/dev/null
stop_berthd KILL
check "the young database's changes are in its -wal" test -s "$DB-wal"
wal_aside
refused_start "a young database without its -wal"
mv "$TMP/saved-wal" "$DB-wal"
start_berthd
check_eq "with its -wal back, it starts with everything" "early" "$(docker ps -a --format '{{.Names}}')"

docker run --name keep busybox echo "kept line" >/dev/null
docker run --name logger busybox sh -c 'for i in 1 2 3; do echo "log $i"; done' >/dev/null
docker run -d --name up busybox sleep 300 >/dev/null
docker run -d --name up2 busybox sleep 300 >/dev/null
docker run -d --name quitter -v "$TMP/trigger:/trigger" busybox \
	sh -c 'until [ -e /trigger/go ]; do usleep 20000; done; exit 3' >/dev/null
docker create --name cr busybox true >/dev/null
docker create --name doomed busybox true >/dev/null
id_of() { docker inspect -f '{{.Id}}' "$1"; }
UP=$(id_of up) UP2=$(id_of up2) QUITTER=$(id_of quitter) CR=$(id_of cr) KEEP=$(id_of keep)
LOGGER=$(id_of logger)
stop_berthd TERM
check "a clean stop checkpoints: no -wal" test ! -s "$DB-wal"
cp "$DB" "$TMP/good.db"
put_back() { rm -f "$DB" "$DB-wal" "$DB-shm" && cp "$TMP/good.db" "$DB"; }

head -c 65536 /dev/urandom >"$DB"
refused_start "garbage"
put_back
head -c $(($(stat -c %s "$TMP/good.db") / 2)) "$TMP/good.db" >"$DB"
refused_start "truncated to half"
put_back
: >"$DB"
refused_start "zero bytes"
put_back
rm -f "$DB"
refused_start "missing"
put_back

# A -wal lost after a checkpoint: the containers it held are recorded again from their
# directories' container.json (a running one adopted with its process), and one removed since
# the checkpoint does not come back.
start_berthd
check_eq "the good database put back starts as before" "running" "$(docker inspect -f '{{.State.Status}}' up)"
docker create --name late busybox true >/dev/null
docker run -d --name late-up busybox sleep 300 >/dev/null
docker rm doomed >/dev/null
LATE=$(id_of late) LATE_UP=$(id_of late-up)
stop_berthd KILL
wal_aside
start_berthd
warnings=$(grep -a level=warning "$TMP/berthd.log")
check_eq "a -wal lost after a checkpoint: its containers are recorded again, the running one runs" \
	"created running" "$(docker inspect -f '{{.State.Status}}' late late-up | tr '\n' ' ' | sed 's/ $//')"
check_contains "and the log says from where" \
	"had no record in metadata.db: recorded again from $DATA_ROOT/containers/$LATE/container.json" "$warnings"
check_eq "the adopted one's process is its own" "$(docker inspect -f '{{.State.Pid}}' late-up)" \
	"$(pgrep -f "berth-monitor container $EXEC_ROOT/containers/$LATE_UP" >/dev/null && docker top late-up -o pid | sed -n 2p)"
check_fails "a container removed after the checkpoint does not come back" docker inspect doomed
check_contains "its removal is finished, and said so" "has a record but no directory: its removal was finished" "$warnings"
check_eq "what was checkpointed is all there" "cr early keep late late-up logger quitter up up2" \
	"$(docker ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "a running container is still adopted" "running" "$(docker inspect -f '{{.State.Status}}' up)"
check "the recovered containers can be removed" docker rm -f late late-up
late_up_gone() { ! pgrep -f "berth-monitor container $EXEC_ROOT/containers/$LATE_UP" >/dev/null; }
check "and nothing of the adopted one runs on" wait_until 20 late_up_gone

# Damaged per-container state, made while berthd is down.
stop_berthd TERM
touch "$TMP/trigger/go"
quitter_gone() { ! pgrep -f "berth-monitor container $EXEC_ROOT/containers/$QUITTER" >/dev/null; }
check "the quitter exits while berthd is down" wait_until 20 quitter_gone
head -c 300 /dev/urandom >"$EXEC_ROOT/containers/$UP/monitor.json"
head -c 300 /dev/urandom >"$EXEC_ROOT/containers/$QUITTER/exit.json"
head -c 7 /dev/urandom >"$DATA_ROOT/containers/$KEEP/config.json"
"$PYTHON" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE containers SET doc = ? WHERE id = ?", ("{\"Id\": [garbage", sys.argv[2]))
db.commit()' "$DB" "$CR"
LOG=$DATA_ROOT/containers/$LOGGER/$LOGGER-json.log
{
	head -c 5000 /dev/urandom
	printf '\n{"log":"torn'
	head -c 64000000 /dev/zero
	printf '\n{"log":"after the damage\\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}\n'
	head -c 8000000 /dev/zero
} >>"$LOG"
head -c 1000 /dev/urandom >"$DATA_ROOT/engine-id"
start_berthd
warnings=$(grep -a level=warning "$TMP/berthd.log")
check_eq "the warnings are text, one per line" "" "$(grep -a level=warning "$TMP/berthd.log" | LC_ALL=C grep -a -n '[^[:print:]]')"
check_contains "a damaged monitor.json is named" "damaged state file $EXEC_ROOT/containers/$UP/monitor.json" "$warnings"
check_contains "a damaged exit.json is named" "damaged state file $EXEC_ROOT/containers/$QUITTER/exit.json" "$warnings"
check_contains "a damaged record is named" "container $CR: its record in metadata.db is damaged" "$warnings"
check_fails "the container with the damaged record is skipped" docker inspect cr
check_eq "the adopted container runs" "running" "$(docker inspect -f '{{.State.Status}}' up)"
check "and stops" docker stop -t 1 up
check_eq "the exit recorded in a damaged file is lost, and said so" \
	"exited 255 the container's monitor exited without recording the exit" \
	"$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' quitter)"
check_eq "a damaged config.json is made anew at start" "kept line
kept line" "$(docker start -a keep 2>&1; docker logs keep 2>&1 | tail -1)"
hwm_before=$(awk '/VmHWM/ { print $2 }' "/proc/$BERTHD_PID/status")
check_eq "docker logs reads past garbage and 64 MB of zeros" "log 1
log 2
log 3
after the damage" "$(docker logs logger 2>&1)"
hwm_after=$(awk '/VmHWM/ { print $2 }' "/proc/$BERTHD_PID/status")
check "and berthd does not hold the damage in memory (VmHWM $hwm_before -> $hwm_after kB)" \
	test $((hwm_after - hwm_before)) -lt 16384
check_contains "a garbage engine-id is named" "damaged $DATA_ROOT/engine-id (not an ID)" "$warnings"
check_match "and replaced with a new ID" "^[0-9a-f-]{36}$" "$(docker info -f '{{.ID}}' 2>&1)"

# The runtime's own state of a running container, damaged: the stop fails at once, naming it.
STATE=$(find "$EXEC_ROOT" -path "*/$UP2/state.json" | head -1)
check "the runtime keeps a state file" test -n "$STATE"
cp "$STATE" "$TMP/state.json"
printf 'garbage' >"$STATE"
started=$SECONDS
out=$(docker stop -t 1 up2 2>&1)
check_ne "a stop the runtime cannot signal fails" "0" "$?"
check_contains "naming the damaged file" "cannot kill container ${UP2:0:12}: $STATE" "$out"
check "within seconds, not after a 30 s wait" test $((SECONDS - started)) -lt 20
check_eq "the other containers are unaffected" "hi" "$(docker run --rm busybox echo hi 2>&1)"
cp "$TMP/state.json" "$STATE"
check "with its state file back it can be removed" docker rm -f up2
check_eq "no crash in berthd's log" "" "$(grep -a -E 'terminate called|Segmentation|Aborted' "$TMP/berthd.log")"
finish
