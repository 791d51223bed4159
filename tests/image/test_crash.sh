#!/usr/bin/env bash
# Crash safety of the image store: `berth load` killed with SIGKILL at random points never
# leaves a half-visible image or a corrupt blob, garbage collection sweeps what the killed loads
# left, and a bit flipped in a stored blob is caught by `image verify`.
source "$(dirname "$0")/../lib.sh"

BERTH=$BERTH_BIN/berth
STATE=$TMP/images
b() { "$BERTH" --root "$STATE" "$@"; }
MAKE=$BERTH_SRC/tests/fixture/make_image_archive.py
ROUNDS=${CRASH_ROUNDS:-12}

# A five-layer image of ~60 MB, so a load takes long enough to be killed in every phase
# (reading the archive, unpacking layers, recording the image).
for i in 0 1 2 3 4; do
	mkdir -p "$TMP/l$i/data$i"
	for f in $(seq 1 40); do
		head -c $((i * 30000 + f * 1000)) /dev/urandom >"$TMP/l$i/data$i/small$f"
	done
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$TMP/l$i/data$i/big"
	tar -C "$TMP/l$i" -cf "$TMP/l$i.tar" .
done
expected_id=$("$PYTHON" "$MAKE" "$TMP/image.tar" --tag crash/test:1 --gzip "$TMP"/l{0,1,2,3,4}.tar)
expected_files=$(for i in 0 1 2 3 4; do (cd "$TMP/l$i" && find . -type f); done | sort)

# The duration of an undisturbed load sets the range of kill points.
start=$(date +%s%N)
b load -i "$TMP/image.tar" >/dev/null
full_ms=$((($(date +%s%N) - start) / 1000000))
echo "# an undisturbed load takes ${full_ms} ms"
b rmi crash/test:1 >/dev/null
b image prune -a -f >/dev/null

state_consistent() {
	local ids
	ids=$(b images -q --no-trunc) || return 1
	[ -z "$ids" ] && return 0
	# If the image is visible, it is whole: the right ID, every blob intact, every file there.
	[ "$ids" = "$expected_id" ] || { echo "unexpected images: $ids"; return 1; }
	b image verify >/dev/null || { b image verify; return 1; }
	mkdir -p "$TMP/mnt"
	b image mount crash/test:1 "$TMP/mnt" || return 1
	local files
	files=$(cd "$TMP/mnt" && find . -type f | sort)
	b image umount "$TMP/mnt"
	[ "$files" = "$expected_files" ] || { echo "files differ"; return 1; }
}

visible=0
for round in $(seq 1 "$ROUNDS"); do
	# Kill points spread over the whole load, from its first instant to just after its end.
	delay_ms=$((RANDOM % (full_ms + full_ms / 5 + 1)))
	# berth itself in the background (not through the b function: $! would be a subshell's pid
	# and the kill would miss the loader).
	"$BERTH" --root "$STATE" load -i "$TMP/image.tar" >/dev/null 2>&1 &
	pid=$!
	# The kill point (not a wait for anything): a random moment of the load.
	sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if ! check "round $round (killed after ${delay_ms} ms): store consistent" state_consistent; then
		break
	fi
	[ -n "$(b images -q)" ] && visible=$((visible + 1))
	# Start the next round from an empty store half of the time, from a loaded one otherwise.
	if [ $((round % 2)) -eq 0 ]; then
		b rmi -f crash/test:1 >/dev/null 2>&1
	fi
done
echo "# image visible after $visible of $ROUNDS killed loads"

# Whatever the killed loads left behind (blobs, half-unpacked layers) is swept by GC.
b rmi -f crash/test:1 >/dev/null 2>&1
b image prune -a -f >/dev/null
check_eq "after prune no blob is left" 0 "$(find "$STATE/content/blobs" -type f | wc -l)"
check_eq "no layer is left" 0 "$(entries "$STATE/snapshots/layers")"
check_eq "no temp dir is left" 0 "$(entries "$STATE/snapshots/tmp")"

# A complete load still works after all that, and a flipped bit is caught.
check "a complete load succeeds" b load -i "$TMP/image.tar"
check "verify: all intact" b image verify
blob=$(find "$STATE/content/blobs/sha256" -maxdepth 1 -type f -printf '%s %f\n' | sort -rn | head -n 1 | cut -d' ' -f2)
"$PYTHON" - "$STATE/content/blobs/sha256/$blob" <<'PY'
import sys
path = sys.argv[1]
with open(path, "r+b") as f:
    f.seek(4096)
    byte = f.read(1)
    f.seek(4096)
    f.write(bytes([byte[0] ^ 0x01]))
PY
out=$(b image verify 2>&1)
rc=$?
check_eq "verify exits 1 on a flipped bit" 1 "$rc"
check_contains "and names the corrupt blob" "sha256:$blob is corrupt" "$out"
out=$(b save -o "$TMP/out.tar" crash/test:1 2>&1)
check_ne "save does not copy a corrupt blob silently" 0 "$?"

finish
