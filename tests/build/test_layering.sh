#!/usr/bin/env bash
# The layering check (scripts/check-layers.py against the table in docs/architecture.md) passes
# on the tree, and fails, naming file, line and folders, on a copy of the tree with an include
# that crosses the order, a folder the table does not name, a row whose folder is gone, and a
# CMake library linking one its folder may not include. Needs no build (no tests/lib.sh, which
# wants the runtime binary): it runs in seconds and first in .ci/run.
set -uo pipefail

BERTH_SRC=${BERTH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PYTHON=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
CHECK=$BERTH_SRC/scripts/check-layers.py
TMP=$(mktemp -d /tmp/berth-test_layering.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

check() { # NAME, then a command that must succeed
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		failed=$((failed + 1))
	fi
}

# A copy of the tree's sources, docs and CMakeLists.txt to break.
fresh_copy() {
	rm -rf "$TMP/tree"
	mkdir -p "$TMP/tree"
	cp -r "$BERTH_SRC/src" "$BERTH_SRC/cmd" "$BERTH_SRC/docs" "$BERTH_SRC/CMakeLists.txt" "$TMP/tree/"
}

run_check() { # TREE: sets out and rc
	out=$("$PYTHON" "$CHECK" "$1" 2>&1)
	rc=$?
}

run_check "$BERTH_SRC"
while IFS= read -r line; do echo "#   $line"; done <<<"$out"
check "the tree keeps its layers" test "$rc" -eq 0

# base (the ground floor) including the api: the violation names the file, line and folders.
fresh_copy
printf '#include "api/router.h"\n' >>"$TMP/tree/src/base/fs.cpp"
line=$(wc -l <"$TMP/tree/src/base/fs.cpp")
run_check "$TMP/tree"
check "an include against the order fails" test "$rc" -eq 1
check "and says where and what: src/base/fs.cpp:$line: src/base may not include src/api" \
	grep -qxF "src/base/fs.cpp:$line: src/base may not include src/api" <<<"$out"

# Two folders side by side may not include each other either (spec and monitor).
fresh_copy
printf '#include "monitor/monitor_protocol.h"\n' >>"$TMP/tree/src/spec/container_spec.h"
run_check "$TMP/tree"
check "a sideways include fails: src/spec may not include src/monitor" \
	grep -qE '^src/spec/container_spec\.h:[0-9]+: src/spec may not include src/monitor$' <<<"$out"

# A new module must be placed in the table before it builds.
fresh_copy
mkdir -p "$TMP/tree/src/network"
printf '#pragma once\n' >"$TMP/tree/src/network/bridge.h"
run_check "$TMP/tree"
check "a folder the table does not name fails" test "$rc" -eq 1
check "and is named" grep -q '^src/network: a folder the layers table in docs/architecture.md does not name' \
	<<<"$out"

# A row whose folder was removed or renamed.
fresh_copy
rm -rf "$TMP/tree/src/wire"
sed -i 's|"wire/[a-z_]*\.h"|"base/json.h"|' "$TMP"/tree/src/*/*.cpp "$TMP"/tree/src/*/*.h
run_check "$TMP/tree"
check "a row for a folder that is gone fails" \
	grep -qF 'docs/architecture.md: the layers table names src/wire, which has no source file' <<<"$out"

# CMake: the library of base linking the engine's.
fresh_copy
sed -i 's/^target_link_libraries(berth_base PUBLIC /&berth_engine /' "$TMP/tree/CMakeLists.txt"
run_check "$TMP/tree"
check "a library linking one its folder may not include fails" \
	grep -qE '^CMakeLists\.txt:[0-9]+: berth_base \(src/base\) may not link berth_engine \(src/engine\)$' \
	<<<"$out"

# A table that cannot be read is an error of its own, not a pass.
fresh_copy
sed -i '/layers:begin/d' "$TMP/tree/docs/architecture.md"
run_check "$TMP/tree"
check "no table: exit 2, not a pass" test "$rc" -eq 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
