#!/usr/bin/env bash
# Hostile layers through the whole load path: every escape attempt is refused with a one-line
# error naming the entry (or confined inside the layer), nothing is written outside the store,
# and no image becomes visible.
source "$(dirname "$0")/../lib.sh"

BERTH=$BERTH_BIN/berth
STATE=$TMP/images
b() { "$BERTH" --root "$STATE" "$@"; }
MAKE=$BERTH_SRC/tests/fixture/make_image_archive.py

# The victim: a directory next to the store that a layer tries to reach.
OUTSIDE=$TMP/outside
mkdir -p "$OUTSIDE" && echo original >"$OUTSIDE/file"
# Absolute targets on the host, unique to this run.
HOST_TARGET=/tmp/berth-hostile-$$
trap_cleanup() { rm -rf "$HOST_TARGET"*; }
on_exit trap_cleanup

# layer NAME PYTHON — writes $TMP/NAME.tar with the entries the python snippet adds to `t`
# (helpers: reg(name, data), sym(name, target), hard(name, target), dev(name), dir(name)).
layer() {
	$PYTHON - "$TMP/$1.tar" "$2" <<'PY'
import io, sys, tarfile
out, body = sys.argv[1], sys.argv[2]
t = tarfile.open(out, "w", format=tarfile.GNU_FORMAT)
def add(info, data=b""):
    info.mtime = 1700000000
    t.addfile(info, io.BytesIO(data) if data else None)
def reg(name, data=b"pwned\n"):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644; add(i, data)
def sym(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; add(i)
def hard(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target; add(i)
def dir(name):
    i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; add(i)
exec(body)
t.close()
PY
}

# try_load NAME — makes an image of layer NAME, loads it; prints the output, returns the status.
try_load() {
	"$PYTHON" "$MAKE" "$TMP/$1.image.tar" --tag "hostile/$1:latest" "$TMP/$1.tar" >/dev/null || return 99
	b load -i "$TMP/$1.image.tar" 2>&1
}

outside_untouched() {
	[ "$(ls -A "$OUTSIDE")" = "file" ] && [ "$(cat "$OUTSIDE/file")" = original ] && ! ls -d "$HOST_TARGET"* >/dev/null 2>&1
}

expect_refused() {
	local name=$1 what=$2 out rc
	out=$(try_load "$name")
	rc=$?
	check_ne "$what: load fails" 0 "$rc"
	check_eq "$what: one-line error" 1 "$(wc -l <<<"$out")"
	check "$what: nothing written outside" outside_untouched
	check_eq "$what: no image visible" "" "$(b images -q)"
	echo "# $what: $out"
}

rel=$(realpath --relative-to=/ "$OUTSIDE")   # the victim as a path from /
up="../../../../../../../../../../../.."

layer dotdot "reg('$up/$rel/evil')"
expect_refused dotdot "entry with .. components"

layer dotdot_mid "dir('a'); reg('a/../../$up/$rel/evil')"
expect_refused dotdot_mid "entry climbing through a directory"

layer symlink_dir "sym('escape', '$OUTSIDE'); reg('escape/evil')"
out=$(try_load symlink_dir)
check "absolute symlink then write through it: nothing written outside" outside_untouched
echo "# symlink_dir: $out"
b rmi -f hostile/symlink_dir >/dev/null 2>&1

layer symlink_rel "sym('escape', '$up$OUTSIDE'); reg('escape/file', b'overwritten\n')"
out=$(try_load symlink_rel)
check "relative symlink escaping the root then overwrite through it: victim untouched" outside_untouched
echo "# symlink_rel: $out"
b rmi -f hostile/symlink_rel >/dev/null 2>&1

layer symlink_replace "sym('victim', '$OUTSIDE/file'); reg('victim', b'overwritten\n')"
out=$(try_load symlink_replace)
check "a file entry over a symlink replaces the link, not its target" outside_untouched
echo "# symlink_replace: $out"
b rmi -f hostile/symlink_replace >/dev/null 2>&1

layer hardlink_out "hard('stolen', '$OUTSIDE/file')"
if out=$(try_load hardlink_out); then
	# Confined: the link target is looked up inside the layer; the host file must not be linked.
	check_eq "hardlink to a host path is not linked to the host file" 1 "$(stat -c %h "$OUTSIDE/file")"
else
	_ok "hardlink to a host path is refused"
fi
check "hardlink to a host path: nothing outside changed" outside_untouched
b rmi -f hostile/hardlink_out >/dev/null 2>&1

layer hardlink_dotdot "reg('inside'); hard('stolen', '$up/$rel/file')"
expect_refused hardlink_dotdot "hardlink with .. to a file outside"

layer hardlink_via_symlink "sym('hop', '$OUTSIDE'); hard('stolen', 'hop/file')"
out=$(try_load hardlink_via_symlink)
check_eq "hardlink through a symlink to outside: the host file gets no second link" 1 "$(stat -c %h "$OUTSIDE/file")"
check "hardlink through a symlink: nothing outside changed" outside_untouched
b rmi -f hostile/hardlink_via_symlink >/dev/null 2>&1

layer absolute "reg('$HOST_TARGET')"
out=$(try_load absolute)
check "absolute path entry never lands on the host" outside_untouched
if [ -n "$(b images -q)" ]; then
	mkdir -p "$TMP/mnt"
	b image mount hostile/absolute "$TMP/mnt"
	check "absolute path entry lands inside the layer" test -f "$TMP/mnt$HOST_TARGET"
	b image umount "$TMP/mnt"
	b rmi -f hostile/absolute >/dev/null
fi

check "the store is intact after all attempts" b image verify
check_eq "and has no layer left over after prune" 0 "$(b image prune -a -f >/dev/null; entries "$STATE/snapshots/layers")"

finish
