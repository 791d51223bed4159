#!/usr/bin/env bash
# A fresh Debian 12 builds berth with what scripts/install-deps.sh installs: every header the
# sources include comes from a package it names (or one those pull in), so that a package
# installed by hand cannot hide a missing one again (libcli11-dev did). scripts/deps-check.sh
# makes the check; here it must pass on the tree, and must catch the install-deps.sh of before
# that fix.
source "$(dirname "$0")/../lib.sh"

command -v dpkg-query >/dev/null || skip_all "not a Debian system (no dpkg-query)"

out=$(bash "$BERTH_SRC/scripts/deps-check.sh" 2>&1)
rc=$?
_indent "$out"
check_eq "deps-check passes: install-deps.sh installs every included header's package" 0 "$rc"

# The check can fail: without libcli11-dev (as before the fix) it names the header and package.
sed 's/\blibcli11-dev\b//' "$BERTH_SRC/scripts/install-deps.sh" >"$TMP/install-deps.sh"
out=$(DEPS_SCRIPT=$TMP/install-deps.sh bash "$BERTH_SRC/scripts/deps-check.sh" 2>&1)
rc=$?
check_eq "without libcli11-dev deps-check fails" 1 "$rc"
check_contains "and says which header and package" "<CLI/CLI.hpp> (src/, cmd/) is in libcli11-dev" "$out"

# A build header from a test-only package is caught too (gtest moved to the test list).
sed -e 's/\blibgtest-dev libgmock-dev\b//' -e 's/^\(test_packages=(\)/\1 libgtest-dev libgmock-dev /' \
	"$BERTH_SRC/scripts/install-deps.sh" >"$TMP/install-deps.sh"
out=$(DEPS_SCRIPT=$TMP/install-deps.sh bash "$BERTH_SRC/scripts/deps-check.sh" 2>&1)
check_contains "a header of src/ (its unit tests) from a test-only package is refused" \
	"<gtest/gtest.h> (src/, cmd/) is in libgtest-dev" "$out"
finish
