#!/usr/bin/env bash
# clang-tidy 16 on the C++ of src/ with the checks of .clang-tidy (which says why each is on or
# off); exits 1 on any finding (readability-function-size only warns). The unit tests
# (*_test.cpp) are left out: half the files, and GoogleTest's macros are what the checks would
# mostly find there. The compile commands come
# from a clang 16 configuration of the tree in $TIDY_BUILD_DIR (configured, never built: clang
# parses with its own flags, which g++'s compile_commands.json would not give it).
#
# usage: scripts/clang-tidy.sh [--changed BASE] [REGEX]
#   --changed BASE  only the src/ .cpp files that differ from git revision BASE, and those that
#                   include a changed header (by name) — for a quick look before committing
#   REGEX           only the files whose path matches (run-clang-tidy's file filter)
# Environment: TIDY_BUILD_DIR (default build-tidy), TIDY_JOBS (default: nproc)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
BUILD=${TIDY_BUILD_DIR:-$SRC/build-tidy}
JOBS=${TIDY_JOBS:-$(nproc)}

for tool in clang-tidy-16 run-clang-tidy-16 clang++-16; do
	if ! command -v $tool >/dev/null; then
		echo "clang-tidy: $tool is missing (scripts/install-deps.sh --with-tests installs it)" >&2
		exit 2
	fi
done

base=
if [ "${1:-}" = --changed ]; then
	base=${2:?usage: $0 [--changed BASE] [REGEX]}
	shift 2
fi
regex=${1:-}

# Configure only: compile_commands.json is all clang-tidy needs.
if [ ! -f "$BUILD/compile_commands.json" ] || [ CMakeLists.txt -nt "$BUILD/compile_commands.json" ]; then
	CC=clang-16 CXX=clang++-16 cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
		>"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log" >&2; exit 2; }
	rm -f "$BUILD.configure.log"
fi

# files — the src/ sources to check, one a line, relative to the tree.
files() {
	if [ -z "$base" ]; then
		git ls-files 'src/*.cpp' ':!:src/*_test.cpp'
		return
	fi
	local changed
	local -a headers
	changed=$(git diff --name-only "$base" -- 'src/*.cpp' 'src/*.h')
	mapfile -t headers < <(grep '\.h$' <<<"$changed" | sed 's|^src/||')
	{
		grep '\.cpp$' <<<"$changed" || true
		if [ ${#headers[@]} -gt 0 ]; then
			git ls-files -z 'src/*.cpp' ':!:src/*_test.cpp' |
				xargs -0 grep -lF -f <(printf '#include "%s"\n' "${headers[@]}") || true
		fi
	} | grep -v '_test\.cpp$' | sort -u | while IFS= read -r f; do [ ! -f "$f" ] || echo "$f"; done
}

mapfile -t sources < <(files | grep -E -- "${regex:-.}" || true)
if [ ${#sources[@]} -eq 0 ]; then
	echo "clang-tidy: no files to check"
	exit 0
fi
# run-clang-tidy takes regexes: each file's path, anchored, stands for itself.
patterns=()
for f in "${sources[@]}"; do patterns+=("^$SRC/${f//./\\.}\$"); done
echo "clang-tidy: ${#sources[@]} files, $JOBS at a time"
start=$SECONDS
# The findings only, as they come: run-clang-tidy also prints each command and clang's count of
# suppressed warnings from system headers. With pipefail, rc is run-clang-tidy's status.
noise='^(clang-tidy-16 |[0-9]+ warnings? (and [0-9]+ errors? )?generated\.|Suppressed [0-9]+ warnings|Use -header-filter)'
rc=0
run-clang-tidy-16 -p "$BUILD" -j "$JOBS" -quiet -header-filter="^$SRC/src/" "${patterns[@]}" 2>&1 |
	{ grep --line-buffered -vE "$noise" || true; } || rc=$?
echo "clang-tidy: $((SECONDS - start))s"
exit "$rc"
