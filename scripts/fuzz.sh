#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzz.cpp) with clang 16, ASan and UBSan, and runs each for a
# while on a scratch copy of its seed corpus, then prints per target: runs, exec/s, coverage and
# any crash (with its input and the top of its stack). Exits 1 when a target crashed, hung, ran out
# of memory, leaked or broke an invariant.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
#   TARGET: reference, manifest, config_changes, go_template, layer_unpack, image_archive,
#   http_request, container_create, runtime_spec, seccomp, device_filter, path_in_root,
#   monitor_protocol (or the same with _fuzz); all of them by default.
#
# Environment:
#   FUZZ_BUILD_DIR   build directory (default: build-fuzz in the source tree); configured once
#   FUZZ_OPT         optimisation flags of that build (default -O1; used when it is first
#                    configured)
#   FUZZ_PARALLEL    targets run at the same time (default 1)
#   BERTH_WERROR     ON: warnings fail the build (CI sets it through the suite's fuzz smoke test)
#   FUZZ_FLAGS       more libFuzzer flags, e.g. "-only_ascii=1" or "-fork=1 -ignore_crashes=1"
#                    (keeps going after a crash, to look past a known bug)
#
# Each run works in $FUZZ_BUILD_DIR/fuzz-run/<target>/: corpus/ (the seeds of fuzz/corpus/<target>/
# plus the generated tars of fuzz/make_seeds.py, grown by the run), fuzz.log, and crash-*,
# timeout-*, oom-*, leak-* inputs. The repository's corpus is never written to. The directory must
# not be under /tmp: the tar targets mount a private /tmp over it.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_TARGET=${1:-60}
shift $(($# > 0 ? 1 : 0))
BUILD=${FUZZ_BUILD_DIR:-$SRC/build-fuzz}
OPT=${FUZZ_OPT:--O1}
PARALLEL=${FUZZ_PARALLEL:-1}
EXTRA_FLAGS=${FUZZ_FLAGS:-}

if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
	echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
	exit 2
fi
for tool in clang-16 clang++-16; do
	if ! command -v $tool >/dev/null; then
		echo "fuzz: $tool is missing (scripts/install-deps.sh --with-tests installs it)" >&2
		exit 2
	fi
done

targets=()
if [ $# -eq 0 ]; then
	for f in "$SRC"/fuzz/*_fuzz.cpp; do targets+=("$(basename "${f%.cpp}")"); done
else
	for t in "$@"; do
		t=${t%_fuzz}_fuzz
		if [ ! -f "$SRC/fuzz/$t.cpp" ]; then
			echo "fuzz: no target $t (fuzz/$t.cpp)" >&2
			exit 2
		fi
		targets+=("$t")
	done
fi

# ---- build ----------------------------------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	echo "fuzz: configuring $BUILD ($OPT)"
	# ccache, where there is one, makes a fresh fuzz build (the suite's smoke test in a new
	# clone) mostly cache hits.
	launcher=()
	command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
	CC=clang-16 CXX=clang++-16 cmake -S "$SRC" -B "$BUILD" -DBERTH_FUZZ=ON "${launcher[@]}" \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$OPT" \
		"-DBERTH_WERROR=${BERTH_WERROR:-OFF}" >"$BUILD.configure.log" 2>&1 ||
		{ cat "$BUILD.configure.log" >&2; exit 2; }
	mv "$BUILD.configure.log" "$BUILD/configure.log"
elif [ -n "${BERTH_WERROR:-}" ]; then
	cmake -S "$SRC" -B "$BUILD" "-DBERTH_WERROR=$BERTH_WERROR" >>"$BUILD/configure.log" 2>&1 ||
		{ tail -n 20 "$BUILD/configure.log" >&2; exit 2; }
fi
start=$SECONDS
echo "fuzz: building ${targets[*]}"
if ! cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]}" >"$BUILD/fuzz-build.log" 2>&1; then
	grep -E "error|Error" "$BUILD/fuzz-build.log" | head -30 >&2
	echo "fuzz: build failed (log: $BUILD/fuzz-build.log)" >&2
	exit 2
fi
echo "fuzz: built in $((SECONDS - start))s"

# ---- run ------------------------------------------------------------------------------------
SYMBOLIZER=$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)
export ASAN_SYMBOLIZER_PATH=$SYMBOLIZER
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
RUNS=$BUILD/fuzz-run
# The targets that unpack run with a private tmpfs on /tmp, which would hide a run dir under /tmp
# (a clone or build dir there): those runs go to /var/tmp instead.
# (The path as given counts too: a symlink under /tmp is hidden with the rest.)
case "$(realpath -m "$RUNS") $RUNS" in
/tmp/* | *" /tmp/"*) RUNS=/var/tmp/berth-fuzz-run${RUNS//\//-} ;;
esac
mkdir -p "$RUNS"
python3 "$SRC/fuzz/make_seeds.py" "$RUNS/seeds" || exit 2

run_target() {
	local t=$1 dir=$RUNS/$1
	rm -rf "$dir"
	mkdir -p "$dir/corpus"
	for seeds in "$SRC/fuzz/corpus/$t" "$RUNS/seeds/$t"; do
		[ -d "$seeds" ] && cp -r "$seeds/." "$dir/corpus/"
	done
	# shellcheck disable=SC2086
	(cd "$dir" && timeout -k 10 $((SECONDS_PER_TARGET * 2 + 120)) "$BUILD/fuzz/$t" \
		-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=30 \
		-print_final_stats=1 -artifact_prefix="$dir/" $EXTRA_FLAGS corpus) >"$dir/fuzz.log" 2>&1
	echo $? >"$dir/rc"
}

# report TARGET — one summary line, and the details of what went wrong; returns 1 on a finding.
report() {
	local t=$1 dir=$RUNS/$1 log=$RUNS/$1/fuzz.log rc runs rate cov artifact
	local -a artifacts=()
	rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -z "$runs" ] && runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	rate=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	for artifact in "$dir"/{crash,timeout,oom,leak,slow-unit}-*; do
		[ -e "$artifact" ] && artifacts+=("${artifact##*/}")
	done
	local status=ok
	if [ "$rc" != 0 ] || [ ${#artifacts[@]} -gt 0 ] || grep -qE '^==[0-9]+==ERROR|deadly signal|fuzz invariant broken' "$log"; then
		status=FAILED
	fi
	printf '%-22s %10s runs %7s exec/s  %-22s %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$status"
	[ $status = ok ] && return 0
	echo "  exit status $rc; log: $log"
	grep -E 'fuzz invariant broken|^  |^==[0-9]+==ERROR|^SUMMARY|what\(\)|runtime error|ALARM|out-of-memory|Test unit written' "$log" |
		grep -vE '^    #|Combine libFuzzer|NEW_FUNC' | awk '!seen[$0]++' | head -20 | sed 's/^/  /'
	# The first stack frames in berth's own code.
	grep -E '^    #[0-9]+ .* /[^ ]+\.(cpp|h):[0-9]+' "$log" | grep -v ' in fuzzer::' | head -8 |
		sed -E 's/^ *(#[0-9]+) 0x[0-9a-f]+ in (.*) (\/[^ ]+:[0-9]+(:[0-9]+)?)$/    \1 \3  \2/' | cut -c1-200
	for a in "${artifacts[@]}"; do echo "  input: $dir/$a ($(stat -c %s "$dir/$a") bytes)"; done
	return 1
}

echo "fuzz: ${#targets[@]} targets, ${SECONDS_PER_TARGET}s each, $PARALLEL at a time, in $RUNS"
running=0
for t in "${targets[@]}"; do
	run_target "$t" &
	running=$((running + 1))
	if [ $running -ge "$PARALLEL" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

failed=0
for t in "${targets[@]}"; do
	report "$t" || failed=1
done
exit $failed
