# shellcheck shell=bash
# lib.sh — sourced by every integration test script (bash tests/<feature>/test_*.sh).
#
# Environment:
#   RUNTIME      the runtime binary under test; default ${BERTH_BIN}/berth-runtime.
#                Every test also passes with RUNTIME=runc.
#   BERTH_BIN    directory of the built binaries (set by ctest)
#   BERTH_SRC    source tree (set by ctest; defaults to the parent of tests/)
#
# Each script gets its own temp dir ($TMP), its own state root ($ROOT, passed as --root on every
# runtime call through `rt`) and container ids that start with the script name and its pid, so
# scripts can run in parallel. On exit every container in $ROOT is force-deleted and $TMP removed.
#
# Checks print `ok - NAME` / `not ok - NAME` and are counted; `finish` prints `N passed, M failed`
# and exits non-zero when something failed. `skip_all` exits 77 (ctest SKIP_RETURN_CODE).

set -uo pipefail

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BERTH_SRC=${BERTH_SRC:-$(dirname "$TESTS_DIR")}
BERTH_BIN=${BERTH_BIN:-$BERTH_SRC/build/bin}
RUNTIME=${RUNTIME:-$BERTH_BIN/berth-runtime}
# Accept a bare name (RUNTIME=runc) and make it an absolute path.
if [[ $RUNTIME != */* ]] && command -v "$RUNTIME" >/dev/null 2>&1; then
	RUNTIME=$(command -v "$RUNTIME")
fi
RUNTIME_NAME=$(basename "$RUNTIME")
FIXTURE_DIR=$TESTS_DIR/fixture
# The system python3 when there is one: a pyenv shim costs ~0.1s per call, and tests make many.
if [ -z "${PYTHON:-}" ]; then
	PYTHON=python3
	[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
fi
export PYTHON
TEST_NAME=$(basename "${0%.sh}")

_passed=0
_failed=0
_skipped=0
_cleanups=()

if [ ! -x "$RUNTIME" ]; then
	echo "not ok - runtime binary $RUNTIME is missing or not executable"
	echo "0 passed, 1 failed"
	exit 1
fi

# 0755 so that a container running as another uid (user namespaces) can reach its rootfs.
TMP=$(mktemp -d "/tmp/berth-$TEST_NAME.XXXXXX")
chmod 0755 "$TMP"
ROOT=$TMP/state
mkdir -p "$ROOT"

echo "# $TEST_NAME: RUNTIME=$RUNTIME TMP=$TMP"

# rt ARGS... — the runtime under test with this script's state root. A call that hangs is killed
# after $RT_TIMEOUT seconds (exit status 124) so one hang cannot stall the whole suite.
RT_TIMEOUT=${RT_TIMEOUT:-60}
rt() {
	timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$ROOT" "$@"
	local rc=$?
	[ $rc -eq 124 ] && echo "# TIMEOUT: $RUNTIME_NAME $* did not return within ${RT_TIMEOUT}s" >&2
	return $rc
}

# cid NAME — a container id unique to this script run.
cid() {
	echo "$TEST_NAME-$$-$1"
}

# on_exit CMD — run CMD (a string, eval'd) at cleanup, before the temp dir is removed.
on_exit() {
	_cleanups+=("$1")
}

_cleanup() {
	local id pid i p
	RT_TIMEOUT=10
	# Containers first: everything in our state root is ours.
	for id in $( (rt list -q 2>/dev/null; ls "$ROOT" 2>/dev/null) | sort -u); do
		pid=$(rt state "$id" 2>/dev/null | json_field pid 2>/dev/null)
		rt delete --force "$id" >/dev/null 2>&1
		# If the runtime could not delete it, do not leave processes behind.
		if [[ ${pid:-0} =~ ^[1-9][0-9]*$ ]] && [ -d "/proc/$pid" ]; then
			kill -9 "$pid" 2>/dev/null
		fi
	done
	# Runtime processes still running with our state root in their command line (a hung or
	# orphaned runtime) are ours too.
	local -a args
	for p in /proc/[0-9]*; do
		mapfile -d '' args 2>/dev/null <"$p/cmdline" || continue
		if [[ " ${args[*]} " == *" --root $ROOT "* ]]; then
			kill -9 "${p#/proc/}" 2>/dev/null
		fi
	done
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1
	done
	# Nothing should be mounted under $TMP on the host; if something is, do not rm through it.
	if grep -q " $TMP" /proc/self/mounts 2>/dev/null; then
		awk -v t="$TMP" '$2 ~ "^"t {print $2}' /proc/self/mounts | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
	fi
	rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# ---- checks ---------------------------------------------------------------------------------

_ok() {
	echo "ok - $1"
	_passed=$((_passed + 1))
}

_not_ok() {
	echo "not ok - $1"
	_failed=$((_failed + 1))
}

# _indent TEXT — prints TEXT as '#' comment lines (diagnostics under a failed check).
_indent() {
	[ -n "$1" ] && printf '%s\n' "$1" | sed 's/^/#   /'
	return 0
}

# check NAME CMD... — passes when CMD exits 0; its output is shown only on failure.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		_ok "$name"
	else
		_not_ok "$name"
		echo "#   command: $*"
		echo "#   exit status: $rc"
		_indent "$out"
	fi
	return $rc
}

# check_fails NAME CMD... — passes when CMD exits non-zero.
check_fails() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		_ok "$name"
		return 0
	fi
	_not_ok "$name"
	echo "#   command unexpectedly succeeded: $*"
	_indent "$out"
	return 1
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" == "$3" ]; then
		_ok "$1"
		return 0
	fi
	_not_ok "$1"
	echo "#   expected: $(printf '%q' "$2")"
	echo "#   actual:   $(printf '%q' "$3")"
	return 1
}

# check_ne NAME UNEXPECTED ACTUAL
check_ne() {
	if [ "$2" != "$3" ]; then
		_ok "$1"
		return 0
	fi
	_not_ok "$1"
	echo "#   expected anything but: $(printf '%q' "$2")"
	return 1
}

# check_contains NAME NEEDLE HAYSTACK
check_contains() {
	if [[ $3 == *"$2"* ]]; then
		_ok "$1"
		return 0
	fi
	_not_ok "$1"
	echo "#   expected to contain: $(printf '%q' "$2")"
	echo "#   actual:"
	_indent "$3"
	return 1
}

# check_not_contains NAME NEEDLE HAYSTACK
check_not_contains() {
	if [[ $3 != *"$2"* ]]; then
		_ok "$1"
		return 0
	fi
	_not_ok "$1"
	echo "#   expected not to contain: $(printf '%q' "$2")"
	echo "#   actual:"
	_indent "$3"
	return 1
}

# check_match NAME ERE ACTUAL — ACTUAL matches the extended regular expression.
check_match() {
	if [[ $3 =~ $2 ]]; then
		_ok "$1"
		return 0
	fi
	_not_ok "$1"
	echo "#   expected to match: $2"
	echo "#   actual:"
	_indent "$3"
	return 1
}

# skip NAME REASON — one check that cannot run here.
skip() {
	echo "ok - $1 # SKIP $2"
	_skipped=$((_skipped + 1))
}

# skip_all REASON — the whole script cannot run here.
skip_all() {
	echo "1..0 # SKIP $1"
	exit 77
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
}

# finish — summary line and exit status.
finish() {
	[ $_skipped -gt 0 ] && echo "# $_skipped skipped"
	echo "$_passed passed, $_failed failed"
	[ $_failed -eq 0 ]
	exit $?
}

# ---- bundles --------------------------------------------------------------------------------

# make_bundle DIR — busybox bundle (see fixture/make-bundle.sh).
make_bundle() {
	bash "$FIXTURE_DIR/make-bundle.sh" "$1"
}

# copy_bundle SRC DST — a cheap copy of a bundle made by make_bundle.
copy_bundle() {
	cp -a "$1" "$2"
}

# edit_config DIR 'PYTHON' [ARGS...] — loads DIR/config.json as dict `c`, runs PYTHON (which
# may use `argv`, the extra ARGS), writes it back.
edit_config() {
	local dir=$1 code=$2
	shift 2
	"$PYTHON" - "$dir/config.json" "$code" "$@" <<'EOF'
import json, os, sys
path, code, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path) as f:
    c = json.load(f)
exec(code)
with open(path, "w") as f:
    json.dump(c, f, indent=2)
EOF
}

# set_args DIR ARGS... — process.args of DIR/config.json.
set_args() {
	local dir=$1
	shift
	edit_config "$dir" 'c["process"]["args"] = argv' "$@"
}

# ---- helpers --------------------------------------------------------------------------------

# runc_before VERSION — true when the runtime under test is runc older than VERSION (e.g. 1.2),
# for the few checks of behaviour that runc 1.1 lacks (each is reported as a SKIP).
runc_before() {
	[ "$RUNTIME_NAME" = runc ] || return 1
	local v
	v=$("$RUNTIME" --version 2>/dev/null | sed -n 's/^runc version \([0-9.]*\).*/\1/p')
	[ -n "$v" ] || return 1
	[ "$(printf '%s\n%s\n' "$v" "$1" | sort -V | head -n 1)" = "$v" ] && [ "$v" != "$1" ]
}

# json_field KEY — prints top-level KEY of the JSON object on stdin.
json_field() {
	"$PYTHON" -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1], "")
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

# words TEXT — TEXT's words on one line, one space apart: what an unquoted `echo $TEXT` prints,
# without its glob expansion.
words() {
	local -a w
	read -r -d '' -a w <<<"$1"
	printf '%s\n' "${w[*]}"
}

# entries DIR — how many entries DIR holds, hidden ones aside (0 when DIR is missing).
entries() {
	find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' -printf . 2>/dev/null | wc -c
}

# status_of ID — the container's status from `state` ("" when state fails).
status_of() {
	rt state "$1" 2>/dev/null | json_field status 2>/dev/null
}

# wait_until SECONDS CMD... — polls CMD every 50ms until it succeeds or SECONDS have passed.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
	return 0
}

# status_is ID STATUS — for wait_until.
status_is() {
	[ "$(status_of "$1")" == "$2" ]
}

# run_in DIR ARGS... — `run`s a fresh container from bundle DIR with process.args = ARGS and
# prints its stdout+stderr; the exit status is the container's. The container is deleted.
run_in() {
	local dir=$1 id rc
	shift
	set_args "$dir" "$@" || return 1
	id=$(cid "run$BASHPID-$((++_run_seq))")
	rt run --bundle "$dir" "$id" </dev/null 2>&1
	rc=$?
	rt delete --force "$id" >/dev/null 2>&1
	return $rc
}
_run_seq=0
