#!/usr/bin/env bash
# A short run of every libFuzzer target (scripts/fuzz.sh): what comes from outside (references,
# manifests, --change lines, --format templates, layer tars, image archives, HTTP requests and
# the routes they reach, container create bodies and the specs made from them, config.json,
# seccomp profiles against libseccomp, device rules and their BPF program, paths resolved in a
# root, the monitor protocol) survives ~15 s of fuzzing each with ASan and UBSan, and the seed
# corpora, including the inputs of bugs found before (fuzz/corpus/<target>/), all pass. Needs
# clang 16; the fuzz build is kept in $BERTH_BUILD/fuzz-smoke between runs, so only the first
# run builds everything (its ctest timeout is longer for that).
source "$(dirname "$0")/../lib.sh"

command -v clang++-16 >/dev/null || skip_all "clang++-16 is not installed (scripts/install-deps.sh --with-tests)"
command -v clang-16 >/dev/null ||
	skip_all "clang-16 is not installed (scripts/install-deps.sh --with-tests)"
[ -f /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
	skip_all "libclang-rt-16-dev (libFuzzer) is not installed"

SECONDS_PER_TARGET=${FUZZ_SMOKE_SECONDS:-15}
export FUZZ_BUILD_DIR=${BERTH_BUILD:-$BERTH_SRC/build}/fuzz-smoke
export FUZZ_PARALLEL=${FUZZ_PARALLEL:-2}
export FUZZ_FLAGS=

out=$(bash "$BERTH_SRC/scripts/fuzz.sh" "$SECONDS_PER_TARGET" 2>&1)
rc=$?
_indent "$out"
check_eq "every fuzz target runs ${SECONDS_PER_TARGET}s without a crash, hang, leak or broken invariant" 0 "$rc"
for t in "$BERTH_SRC"/fuzz/*_fuzz.cpp; do
	t=$(basename "${t%.cpp}")
	check_match "$t ran" "$t +[0-9]+ runs" "$out"
done
finish
