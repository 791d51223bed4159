#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking berth needs.
# Idempotent and quiet: does nothing when all packages are present.
#
# usage: install-deps.sh [--with-tests] [--list]
#   --with-tests  the test, benchmark and fuzzing packages too
#   --list        print the package names, one a line, and install nothing (scripts/deps-check.sh
#                 reads them)
set -euo pipefail

build_packages=(
    cmake g++ make pkg-config clang-format
    nlohmann-json3-dev libfmt-dev libseccomp-dev libcap-dev libcli11-dev
    libgtest-dev libgmock-dev libssl-dev libsqlite3-dev libarchive-dev libzstd-dev zlib1g-dev
    libisal-dev  # igzip: gzip layers inflate about twice as fast as with zlib
    libboost-dev  # Boost.Beast/Asio (header-only): berthd's HTTP server
)
# Peers and tools used by the test suite and the benchmarks.
test_packages=(
    busybox-static runc crun docker.io containerd iproute2 tmux python3 util-linux procps
    python3-docker curl openssl  # the Docker SDK peer test; API and TLS tests
    golang-go  # builds the OCI runtime conformance suite (shared/conformance)
    skopeo umoci buildah podman debootstrap  # image interop peers and the benchmark base image
    clang-16 libclang-rt-16-dev  # libFuzzer targets (scripts/fuzz.sh, make fuzz)
    shellcheck clang-tidy-16  # the lint steps of .ci/run (make shellcheck, make clang-tidy)
)

with_tests=0
list_only=0
for arg in "$@"; do
    case $arg in
    --with-tests) with_tests=1 ;;
    --list) list_only=1 ;;
    *)
        echo "usage: $0 [--with-tests] [--list]" >&2
        exit 2
        ;;
    esac
done
wanted=("${build_packages[@]}")
[ $with_tests = 1 ] && wanted+=("${test_packages[@]}")
if [ $list_only = 1 ]; then
    printf '%s\n' "${wanted[@]}"
    exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
