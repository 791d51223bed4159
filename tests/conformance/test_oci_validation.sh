#!/bin/bash
# The OCI runtime conformance suite (opencontainers/runtime-tools validation programs, run by
# ../shared/conformance/oci-runtime-validation.sh) against berth-runtime and, in the same run,
# against runc for comparison. One check: berth-runtime reaches at least BERTH_CONFORMANCE_MIN_OK
# `ok` lines. runc's result is printed for reference only. docs/conformance.md explains the
# failures that remain.
#
# Environment:
#   BERTH_BIN                   directory of berth-runtime (default: <repo>/build/bin)
#   BERTH_CONFORMANCE_MIN_OK    threshold for berth-runtime's `ok` count (default below)
#   BERTH_CONFORMANCE_DIR       folder of oci-runtime-validation.sh
#                               (default: <parent of repo>/shared/conformance)
#   BERTH_CONFORMANCE_WORKDIR   where the suite is built once (default: the script's own,
#                               /var/tmp/oci-runtime-tools)
#   RUNC                        runc binary to compare with (default: runc on PATH)
#
# Skips (exit 77) when golang-go is not installed, the conformance script is missing or the suite
# does not build. A full run takes about 3 minutes (≈1.5 min per runtime, plus ≈30 s to build the
# suite the first time on a machine).
source "$(dirname "$0")/../lib.sh"
require_root

# The `ok` count berth-runtime reached on 2026-11-28 (commit 8865862, cgroups/seccomp not applied).
DEFAULT_MIN_OK=3600  # 3711 measured on 2026-11-28; margin for the suite's own races
MIN_OK=${BERTH_CONFORMANCE_MIN_OK:-$DEFAULT_MIN_OK}
BERTH_RT=$BERTH_BIN/berth-runtime
CONF_DIR=${BERTH_CONFORMANCE_DIR:-$(dirname "$BERTH_SRC")/shared/conformance}
CONF_SCRIPT=$CONF_DIR/oci-runtime-validation.sh
WORKDIR=${BERTH_CONFORMANCE_WORKDIR:-}

[ -f "$CONF_SCRIPT" ] || skip_all "conformance script $CONF_SCRIPT not found"
command -v go >/dev/null 2>&1 || skip_all "golang-go is not installed (apt-get install golang-go)"
[[ $MIN_OK =~ ^[0-9]+$ ]] || skip_all "BERTH_CONFORMANCE_MIN_OK=$MIN_OK is not a number"

# The suite calls the runtime with its default state root and makes its bundles with
# os.MkdirTemp: wrappers give each runtime a state root in $TMP and TMPDIR puts the bundles there
# too, so that whatever a failing program leaves behind is removed with $TMP (lib.sh's cleanup
# force-deletes the containers in $ROOT).
mkdir -p "$TMP/bin" "$TMP/bundles" "$TMP/runc-root"
wrap() { # wrap NAME REAL_BINARY STATE_ROOT
	printf '#!/bin/sh\nexec %q --root %q "$@"\n' "$2" "$3" >"$TMP/bin/$1"
	chmod 0755 "$TMP/bin/$1"
}

# conformance NAME REAL_BINARY OUTFILE — runs the whole suite against the wrapped runtime; prints
# nothing, returns the script's exit status (2: Go missing or the build failed). The summary lines
# in OUTFILE name REAL_BINARY.
conformance() {
	local rc
	if [ -n "$WORKDIR" ]; then
		TMPDIR=$TMP/bundles bash "$CONF_SCRIPT" "$TMP/bin/$1" "$WORKDIR" >"$3" 2>&1
	else
		TMPDIR=$TMP/bundles bash "$CONF_SCRIPT" "$TMP/bin/$1" >"$3" 2>&1
	fi
	rc=$?
	sed -i "s#^$TMP/bin/$1:#$2:#" "$3"
	return $rc
}

# ok_count FILE — the N of the summary line "RUNTIME: N ok, N not ok, N skip".
ok_count() {
	tail -n 1 "$1" | sed -nE 's/.*: ([0-9]+) ok, [0-9]+ not ok, [0-9]+ skip$/\1/p'
}

start=$SECONDS
wrap berth-runtime "$BERTH_RT" "$ROOT"
conformance berth-runtime "$BERTH_RT" "$TMP/berth.out"
rc=$?
if [ $rc -eq 2 ]; then
	_indent "$(cat "$TMP/berth.out")"
	skip_all "the conformance suite could not be built: $(tail -n 1 "$TMP/berth.out")"
fi
berth_time=$((SECONDS - start))

runc_bin=${RUNC:-$(command -v runc 2>/dev/null)}
if [ -n "$runc_bin" ] && [ -x "$runc_bin" ]; then
	wrap runc "$runc_bin" "$TMP/runc-root"
	on_exit "for id in \$('$runc_bin' --root '$TMP/runc-root' list -q); do '$runc_bin' --root '$TMP/runc-root' delete --force \$id; done"
	start=$SECONDS
	conformance runc "$runc_bin" "$TMP/runc.out"
	runc_time=$((SECONDS - start))
	runc_line="$(tail -n 1 "$TMP/runc.out") (${runc_time}s)"
	runc_failing=$(grep '^failing programs' "$TMP/runc.out")
else
	runc_line="runc: not installed, no comparison"
	runc_failing=""
fi

echo "# $(tail -n 1 "$TMP/berth.out") (${berth_time}s)"
echo "#   $(grep '^failing programs' "$TMP/berth.out")"
echo "# $runc_line"
[ -n "$runc_failing" ] && echo "#   $runc_failing"

berth_ok=$(ok_count "$TMP/berth.out")
if [ -z "$berth_ok" ]; then
	_not_ok "berth-runtime conformance summary line found"
	_indent "$(tail -n 20 "$TMP/berth.out")"
elif [ "$berth_ok" -ge "$MIN_OK" ]; then
	_ok "berth-runtime reaches $berth_ok ok (threshold $MIN_OK)"
else
	_not_ok "berth-runtime reaches $berth_ok ok (threshold $MIN_OK)"
fi
# The target of the runtime issues: at least as many passing checks as runc on this machine.
runc_ok=$([ -f "$TMP/runc.out" ] && ok_count "$TMP/runc.out")
if [ -n "$berth_ok" ] && [ -n "$runc_ok" ]; then
	if [ "$berth_ok" -ge "$runc_ok" ]; then
		_ok "berth-runtime passes at least as many checks as runc ($berth_ok >= $runc_ok)"
	else
		_not_ok "berth-runtime passes at least as many checks as runc ($berth_ok < $runc_ok)"
	fi
fi
finish
