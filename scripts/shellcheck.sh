#!/usr/bin/env bash
# Runs shellcheck on every tracked shell script: the *.sh files, and files without an extension
# that start with a sh or bash #! line (.ci/run). Settings and the checks that are off, with
# why: .shellcheckrc. Exits non-zero on any finding.
#
# usage: scripts/shellcheck.sh [FILE...]   (default: every tracked shell script)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null; then
	echo "shellcheck: not installed (scripts/install-deps.sh --with-tests installs it)" >&2
	exit 2
fi

# tracked_scripts — NUL-separated paths of the tracked shell scripts.
tracked_scripts() {
	local path
	git ls-files -z '*.sh'
	git ls-files -z | while IFS= read -r -d '' path; do
		[[ ${path##*/} != *.* && -f $path ]] || continue
		head -n 1 "$path" | grep -qE '^#!.*[/ ](ba)?sh$' && printf '%s\0' "$path"
	done
	return 0
}

if [ $# -gt 0 ]; then
	shellcheck -x "$@"
else
	# Files are independent: a few per process, as many processes as cores.
	tracked_scripts | xargs -0 -n 8 -P "$(nproc)" shellcheck -x
fi
