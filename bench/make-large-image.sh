#!/usr/bin/env bash
# make-large-image.sh OUT_DIR — a ~500 MB (uncompressed) multi-layer image for the image load
# benchmark (bench/image_load.sh), built by a private dockerd (tests/peers/dockerd_lib.sh) without
# a registry:
#
#   layer 1  Debian bookworm, `debootstrap --variant=minbase`, imported with `docker import`. The
#            rootfs tarball is cached in $BENCH_CACHE (default /var/cache/berth-bench), so only the
#            first run downloads packages (from $DEBIAN_MIRROR, default http://deb.debian.org/debian).
#   layer 2  COPY of host files from /usr/share (docs, man pages, locales…): many small files
#   layer 3  COPY of host files from /usr/lib/<multiarch>: shared libraries, a mix of sizes up to
#            $MAX_FILE_MB (default 40) MB each
#   layer 4  COPY of host files from /usr/include: headers, many small files
#   layer 5  RUN: whiteouts of base-layer dirs (/usr/share/doc/*, /usr/share/man, apt lists), a
#            15 MB generated log file, a modified /etc file
# Layers 2-4 share what is left of $TOTAL_MB (default 500) after the base layer, 35/45/20; each
# takes files in path order up to its budget. The build context is streamed to `docker build -` as
# a tar straight from the host paths (no copy on disk).
#
# Output in OUT_DIR (created if needed):
#   large.tar      `docker save berth-bench:large` (docker-archive)
#   large.oci.tar  the same image as an oci-archive (`skopeo copy docker-archive: oci-archive:`)
#   large.txt      image id, layer count, uncompressed size (bytes), one `layer=` line per layer
# Cached: when OUT_DIR holds large.tar and large.oci.tar the script does nothing.
#
# Needs root, debootstrap, dockerd (docker.io), the docker CLI, skopeo, python3, GNU tar.
set -euo pipefail

out=${1:?usage: make-large-image.sh OUT_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
TAG=berth-bench:large
BASE_TAG=berth-bench-base:bookworm
TOTAL_MB=${TOTAL_MB:-500}
MAX_FILE_MB=${MAX_FILE_MB:-40}
BENCH_CACHE=${BENCH_CACHE:-/var/cache/berth-bench}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
base_tar=$BENCH_CACHE/$SUITE-minbase.tar

die() {
    echo "make-large-image.sh: $*" >&2
    exit 1
}
have_all() { [ -s "$out/large.tar" ] && [ -s "$out/large.oci.tar" ]; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
if have_all; then
    echo "make-large-image.sh: $out already holds large.tar and large.oci.tar"
    exit 0
fi
exec 9<"$out"
flock -w 1800 9 || die "$out is locked by another run"
if have_all; then
    echo "make-large-image.sh: $out already holds large.tar and large.oci.tar"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, a private dockerd)"
for tool in debootstrap skopeo python3 tar; do
    command -v "$tool" >/dev/null || die "needs $tool"
done

# shellcheck source-path=SCRIPTDIR source=../tests/peers/dockerd_lib.sh
. "$repo/tests/peers/dockerd_lib.sh"
# skopeo (containers/image) keeps a blob info cache in /var/lib/containers/cache when run as root,
# whatever its flags say: what it creates there is removed at the end (with dockerd's own paths).
peer_record_system_paths /var/lib/containers/cache/blob-info-cache-v1.boltdb /var/lib/containers/cache \
    /var/lib/containers

work=$(mktemp -d /var/tmp/berth-large.XXXXXX)
partial=$(mktemp -d "$out/.partial.XXXXXX")
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    stop_private_dockerd
    peer_rm_system_paths
    # A debootstrap that was interrupted leaves /proc, /sys… mounted in its target.
    peer_umount_under "$work"
    rm -rf --one-file-system "$work" "$partial"
    rm -f "$base_tar.partial.$$"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- the base rootfs (cached) ---------------------------------------------------------------
if [ ! -s "$base_tar" ]; then
    mkdir -p "$BENCH_CACHE"
    echo "make-large-image.sh: debootstrap --variant=minbase $SUITE (cached as $base_tar)"
    if ! debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1; then
        tail -n 30 "$work/debootstrap.log" >&2
        die "debootstrap failed (log above)"
    fi
    peer_umount_under "$work/rootfs"
    # No device nodes (a container runtime makes /dev) and no downloaded .debs.
    tar --numeric-owner --xattrs --xattrs-include='security.capability' \
        --exclude='./dev/*' --exclude='./var/cache/apt/archives/*.deb' \
        -C "$work/rootfs" -cf "$base_tar.partial.$$" .
    mv "$base_tar.partial.$$" "$base_tar"
    rm -rf --one-file-system "$work/rootfs"
fi

# Under /var/tmp like the rest: the overlay2 data of a 500 MB image stays off tmpfs wherever /tmp is.
PD_DIR=$work/d
start_private_dockerd || die "dockerd does not start: $PD_START_ERROR"

"$DOCKER" import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["bash"]' "$base_tar" "$BASE_TAG" >/dev/null
base_bytes=$("$DOCKER" image inspect -f '{{.Size}}' "$BASE_TAG")
left=$((TOTAL_MB * 1000 * 1000 - base_bytes))
[ "$left" -gt 0 ] || die "the base layer alone is $base_bytes bytes, more than TOTAL_MB=$TOTAL_MB"

# ---- the build context: host files picked by budget, streamed as a tar ----------------------
multiarch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
# pick ROOT BYTES MAX_FILE_BYTES: NUL-separated paths (relative to /, no leading slash) of the
# regular files and symlinks below ROOT in path order whose sizes add up to at most BYTES, each
# file at most MAX_FILE_BYTES, with the dirs that lead to them. Stops once 98% is reached.
pick() {
    python3 - "$@" <<'EOF'
import os, stat, sys
root, budget, max_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
total, emitted, inodes = 0, set(), set()
out = sys.stdout.buffer
def emit(path):
    rel = os.path.relpath(path, "/")
    parents = []
    d = os.path.dirname(rel)
    while d and d not in emitted:
        parents.append(d); d = os.path.dirname(d)
    for p in reversed(parents):
        emitted.add(p); out.write(p.encode("utf-8", "surrogateescape") + b"\0")
    out.write(rel.encode("utf-8", "surrogateescape") + b"\0")
def walk(d):
    global total
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return
    for n in names:
        if total >= budget * 0.98:
            return
        p = os.path.join(d, n)
        st = os.lstat(p)
        if stat.S_ISDIR(st.st_mode):
            if st.st_dev == os.lstat(root).st_dev:
                walk(p)
        elif stat.S_ISLNK(st.st_mode):
            emit(p)
        elif stat.S_ISREG(st.st_mode) and os.access(p, os.R_OK):
            size = 0 if (st.st_dev, st.st_ino) in inodes and st.st_nlink > 1 else st.st_size
            if size <= max_file and total + size <= budget:
                total += size; inodes.add((st.st_dev, st.st_ino)); emit(p)
walk(root)
print(f"{root}: {total} bytes", file=sys.stderr)
EOF
}
mb=$((1000 * 1000))
pick /usr/share $((left * 35 / 100)) $((MAX_FILE_MB * mb)) >"$work/share.list"
pick "/usr/lib/$multiarch" $((left * 45 / 100)) $((MAX_FILE_MB * mb)) >"$work/lib.list"
pick /usr/include $((left * 20 / 100)) $((MAX_FILE_MB * mb)) >"$work/include.list"

mkdir -p "$work/meta"
cat >"$work/meta/Dockerfile" <<'EOF'
FROM berth-bench-base:bookworm
LABEL org.opencontainers.image.title="berth large benchmark image" \
      org.opencontainers.image.description="debootstrap minbase bookworm + host files"
COPY share/ /usr/local/share/bench/
COPY lib/ /usr/local/lib/bench/
COPY include/ /usr/local/include/bench/
RUN set -e; \
    rm -rf /usr/share/doc/* /usr/share/man /var/lib/apt/lists/*; \
    mkdir -p /var/log/bench; \
    seq 1 2000000 >/var/log/bench/seq.log; \
    echo 'berth-bench' >/etc/hostname.bench; \
    echo '# berth bench' >>/etc/bash.bashrc
ENV BENCH_IMAGE=large
WORKDIR /usr/local
CMD ["bash"]
EOF
# S: the renames apply to member names, not to symlink targets.
tar -c --no-recursion --null \
    -C "$work/meta" Dockerfile \
    -C / --transform 's,^usr/share/,share/,S' --transform "s,^usr/lib/$multiarch/,lib/,S" \
    --transform 's,^usr/include/,include/,S' \
    -T "$work/share.list" -T "$work/lib.list" -T "$work/include.list" |
    DOCKER_BUILDKIT=0 "$DOCKER" build --network none -q -t "$TAG" - >"$work/build.log" 2>&1 ||
    {
        cat "$work/build.log" >&2
        die "docker build failed"
    }

# ---- outputs --------------------------------------------------------------------------------
"$DOCKER" save -o "$partial/large.tar" "$TAG"
skopeo copy --quiet "docker-archive:$partial/large.tar" "oci-archive:$partial/large.oci.tar:$TAG"
{
    echo "image_id=$("$DOCKER" image inspect -f '{{.Id}}' "$TAG")"
    echo "tag=$TAG"
    echo "layers=$("$DOCKER" image inspect -f '{{len .RootFS.Layers}}' "$TAG")"
    echo "size_bytes=$("$DOCKER" image inspect -f '{{.Size}}' "$TAG")"
    # bytes, top layer first (docker history order); config-only steps (size 0) left out
    "$DOCKER" history --no-trunc --human=false --format '{{.Size}}	{{.CreatedBy}}' "$TAG" |
        awk -F'\t' '$1 != "0" { print "layer=" $1 "\t" substr($2, 1, 80) }'
} >"$partial/large.txt"
chmod 0644 "$partial"/*
mv "$partial/large.txt" "$partial/large.tar" "$out/"
mv "$partial/large.oci.tar" "$out/" # last: the cache check wants both archives
echo "make-large-image.sh: $TAG in $out:"
sed 's/^/  /' "$out/large.txt"
stat -c '  %n: %s bytes' "$out/large.tar" "$out/large.oci.tar"
