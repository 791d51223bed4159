#!/usr/bin/env bash
# image_load.sh — image load benchmark: `load -i large.tar` of a ~500 MB, 5-layer docker-archive
# (bench/make-large-image.sh) into a private dockerd 20.10, into podman with a storage root of its
# own, and into berth, side by side; then a second table, layer unpack: GNU tar against berth's
# unpacker on the biggest layer of the same image. Also reached as `bench/run.sh images [options]`.
#
#   bench/image_load.sh [--rounds N] [--image-dir DIR] [--only docker,podman,berth] [--no-warmup]
#                       [--host-fs] [--json FILE]
#
#   --rounds N      timed rounds per tool (default 5, or $IMAGE_ROUNDS)
#   --image-dir DIR where large.tar is, made there by make-large-image.sh when missing (default
#                   $BENCH_CACHE/images, BENCH_CACHE default /var/cache/berth-bench)
#   --only LIST     a subset of docker,podman,berth (the unpack table always runs)
#   --no-warmup     no untimed first load per tool
#   --host-fs       the stores straight on the filesystem of the work dir (/var/lib) instead of a
#                   fresh ext4 per tool (see below); for comparison
#   --json FILE     both tables as JSON
#
# Each round, for each tool (interleaved, the start order rotating): `sync` (untimed), the timed
# load (wall clock, so the tool's own fsyncs are included), then rmi + `image prune -a` (untimed),
# after which no layer of the image is left in the tool's store: every load writes all layers. The
# page cache is warm for all alike: large.tar is read once before the first round.
#   docker  private dockerd (tests/peers/dockerd_lib.sh), PD_DIR (data-root…) its store dir, default
#           storage driver
#   podman  --root/--runroot/--tmpdir/--network-config-dir in its store dir, TMPDIR too; storage
#           driver overlay, or vfs where overlay does not work (the header says which)
#   berth   "$BERTH_BIN/berth" --root STORE_DIR load -i large.tar; rmi -f + image prune -a -f between
#           rounds. n/a while the binary does not exist.
# Unpack: `tar -xf LAYER -C EMPTY_DIR` (GNU tar as root: owners and modes kept, no xattrs) against
# "$BERTH_BIN/berth-bench-unpack" LAYER EMPTY_DIR (n/a while missing), the target removed between
# rounds (untimed).
#
# Where the data goes: one work dir under $BENCH_WORK_PARENT (default /var/lib, a disk filesystem,
# never tmpfs). In it, each tool's store (dockerd's whole PD_DIR: data-root, exec-root; podman's
# --root, --runroot, --tmpdir, network dir and TMPDIR; berth's --root) and each unpacker's target
# lives on a fresh ext4 of its own, made once at setup (untimed): a sparse image file
# `truncate -s 8G` (IMAGE_FS_SIZE) in the work dir, `mkfs.ext4 -q -F` with the default options
# (e2fsprogs' /etc/mke2fs.conf: 4 KiB blocks, an inode per 16 KiB, has_journal, extent, 64bit,
# flex_bg, metadata_csum, …; on an image file the inode tables come out zeroed, so no lazy init
# runs behind the loads), `mount -o loop` (data=ordered, relatime). Why: a large, old, shared host
# filesystem makes every file creation slow in ways that change from run to run (ext4's inode
# allocator there spent half the load's CPU in recently_deleted()), so the numbers measured the
# host filesystem's state instead of the tools. --host-fs puts the stores straight in the work dir
# as before. The work dir is removed at the end, also on failure or Ctrl-C, after unmounting the
# loop filesystems and detaching their loop devices, with everything the tools created outside it
# (podman's /run/containers/networks, the containers/image blob info cache, dockerd's
# /run/docker…) when it did not exist before.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$repo/build/bin}
BENCH_CACHE=${BENCH_CACHE:-/var/cache/berth-bench}
rounds=${IMAGE_ROUNDS:-5}
image_dir=$BENCH_CACHE/images
only=docker,podman,berth
warmup=1
host_fs=0
fs_size=${IMAGE_FS_SIZE:-8G}
json_out=
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
        --rounds=*) rounds=${1#*=}; shift ;;
        --image-dir) image_dir=${2:?--image-dir needs a dir}; shift 2 ;;
        --image-dir=*) image_dir=${1#*=}; shift ;;
        --only) only=${2:?--only needs a list}; shift 2 ;;
        --only=*) only=${1#*=}; shift ;;
        --no-warmup) warmup=0; shift ;;
        --host-fs) host_fs=1; shift ;;
        --json) json_out=${2:?--json needs a file}; shift 2 ;;
        --json=*) json_out=${1#*=}; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "image_load.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "image_load.sh: --rounds wants a positive number" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
    echo "image_load.sh: must run as root (dockerd, podman's storage)" >&2
    exit 1
fi
if [ $host_fs = 0 ]; then
    for c in truncate mkfs.ext4 dumpe2fs losetup mountpoint; do
        command -v "$c" >/dev/null ||
            { echo "image_load.sh: no $c (needed for the loop filesystems; --host-fs does without)" >&2; exit 1; }
    done
fi
[ -z "$json_out" ] || json_out=$(realpath -m "$json_out")

"$here/make-large-image.sh" "$image_dir" >&2
image=$(cd "$image_dir" && pwd)/large.tar

# shellcheck source-path=SCRIPTDIR source=../tests/peers/dockerd_lib.sh
. "$repo/tests/peers/dockerd_lib.sh"

work=$(mktemp -d "${BENCH_WORK_PARENT:-/var/lib}/berth-bench.XXXXXX")
chmod 711 "$work"

# ---- a fresh filesystem per tool -------------------------------------------------------------
# make_fs NAME: an ext4 of its own, $work/NAME.img loop-mounted on $work/NAME.fs; sets fs_dir to
# $work/NAME.fs/NAME (a dir in it, so that the tools may remove and re-create their dir). With
# --host-fs: fs_dir=$work/NAME on the work dir's filesystem. Returns 1 with $fs_err set on failure.
loop_fs=() # NAMEs made by make_fs and not yet released, for release_fs and cleanup
fs_desc=
make_fs() {
    local name=$1 img=$work/$1.img mnt=$work/$1.fs
    fs_err=
    if [ $host_fs = 1 ]; then
        fs_dir=$work/$name
        mkdir -p "$fs_dir"
        return 0
    fi
    loop_fs+=("$name")
    truncate -s "$fs_size" "$img" || { fs_err="truncate -s $fs_size $img failed"; return 1; }
    mkfs.ext4 -q -F "$img" >"$work/mkfs.log" 2>&1 || { fs_err="mkfs.ext4 -q -F $img: $(head -n 1 "$work/mkfs.log" | sed 's/^mkfs\.ext4: //')"; return 1; }
    if [ -z "$fs_desc" ]; then
        fs_desc=$(dumpe2fs -h "$img" 2>/dev/null | awk -F': *' '
            /^Block size/ { bs = $2 } /^Inode count/ { ic = $2 } /^Filesystem features/ { ft = $2 }
            END { printf "%s-byte blocks, %s inodes, features %s", bs, ic, ft }')
    fi
    mkdir -p "$mnt"
    mount -o loop "$img" "$mnt" 2>"$work/mount.log" ||
        { fs_err="mount -o loop $img: $(head -n 1 "$work/mount.log") (--host-fs does without)"; return 1; }
    fs_dir=$mnt/$name
    mkdir "$fs_dir"
}
# release_fs NAME: unmount (what the tool mounted inside first) and detach the loop device, then
# remove the image file. Safe on a half-made or already released NAME.
release_fs() {
    local name=$1 img=$work/$1.img mnt=$work/$1.fs dev i
    [ $host_fs = 0 ] || return 0
    peer_umount_under "$mnt/$name"
    if mountpoint -q "$mnt" 2>/dev/null; then
        for i in 1 2 3 4 5; do
            umount "$mnt" 2>/dev/null && break
            sleep 0.5
        done
        mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt" 2>/dev/null
    fi
    if [ -e "$img" ]; then
        for dev in $(losetup -n -O NAME -j "$img" 2>/dev/null); do
            losetup -d "$dev" 2>/dev/null || true
        done
        if [ -n "$(losetup -n -O NAME -j "$img" 2>/dev/null)" ]; then
            echo "image_load.sh: the loop device of $img is still attached (busy?); it goes away when released" >&2
        fi
        rm -f "$img"
    fi
    rmdir "$mnt" 2>/dev/null || true
    return 0
}
release_all_fs() {
    local i
    for ((i = ${#loop_fs[@]} - 1; i >= 0; i--)); do
        release_fs "${loop_fs[i]}"
    done
    loop_fs=()
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    stop_private_dockerd
    # whatever of ours still runs on our files (a load cut short by a signal): else the loop
    # filesystems are busy
    peer_kill_leftovers "$work" ""
    release_all_fs
    peer_umount_under "$work"
    peer_rm_system_paths
    rm -rf --one-file-system "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# Made by podman (netavark's run dir, its locks) and containers/image (the blob info cache of
# root) whatever the flags say; deepest first.
peer_record_system_paths /run/containers/networks /run/containers \
    /etc/containers/networks/netavark.lock /etc/containers/networks /etc/cni/net.d/cni.lock \
    /var/lib/containers/cache/blob-info-cache-v1.boltdb /var/lib/containers/cache /var/lib/containers

fs_of() { findmnt -n -o FSTYPE --target "$1" 2>/dev/null || stat -f -c %T "$1"; }

# ---- the image ---------------------------------------------------------------------------------
# tag, layer count, bytes of all layer tars, the biggest layer's member name and size
read -r tag nlayers image_bytes big_layer big_bytes < <(python3 - "$image" <<'EOF'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    members = {m.name: m for m in t.getmembers()}
    manifest = json.load(t.extractfile("manifest.json"))[0]
layers = [members[n] for n in manifest["Layers"]]
big = max(layers, key=lambda m: m.size)
print(manifest["RepoTags"][0], len(layers), sum(m.size for m in layers), big.name, big.size)
EOF
)
# Warm the page cache for every tool alike.
cat "$image" >/dev/null

results=$work/results.tsv
: >"$results"
declare -A status note

# ---- tools -------------------------------------------------------------------------------------
# TOOL_setup (returns non-zero with the reason in $setup_err when the tool cannot run), TOOL_load,
# TOOL_clean (untimed, between rounds), TOOL_leftovers (prints layers still stored after clean).

docker_setup() {
    make_fs docker || { setup_err=$fs_err; return 1; }
    PD_DIR=$fs_dir
    if ! start_private_dockerd >"$work/docker-start.log" 2>&1; then
        setup_err="dockerd does not start: $PD_START_ERROR"
        return 1
    fi
    note[docker]="dockerd $("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null), storage driver $("$DOCKER" info --format '{{.Driver}}' 2>/dev/null), private dockerd with its data-root in $PD_DIR"
}
docker_load() { "$DOCKER" load -i "$image"; }
docker_clean() { "$DOCKER" rmi -f "$tag" && "$DOCKER" image prune -a -f; }
docker_leftovers() {
    local d
    d=$("$DOCKER" info --format '{{.Driver}}' 2>/dev/null)
    find "$PD_DIR/data/$d" -mindepth 1 -maxdepth 1 -type d ! -name l 2>/dev/null
    return 0
}

podman_driver=overlay
pdir= # podman's dir: all of its state (made by podman_setup)
podman_cmd() {
    TMPDIR=$pdir/tmp CONTAINERS_STORAGE_CONF=$pdir/storage.conf \
        podman --root "$pdir/root" --runroot "$pdir/run" --tmpdir "$pdir/libpod" \
        --network-config-dir "$pdir/net" --storage-driver "$podman_driver" \
        --cgroup-manager cgroupfs --events-backend file "$@"
}
podman_reset() {
    peer_umount_under "$pdir"
    rm -rf --one-file-system "$pdir"
    mkdir -p "$pdir/tmp"
    printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' \
        "$podman_driver" "$pdir/root" "$pdir/run" >"$pdir/storage.conf"
}
podman_setup() {
    command -v podman >/dev/null || { setup_err="no podman"; return 1; }
    local why=
    make_fs podman || { setup_err=$fs_err; return 1; }
    pdir=$fs_dir
    podman_reset
    # overlay where it works (a real load, not just `info`), else vfs
    if ! podman_cmd info >/dev/null 2>"$work/podman-info.err"; then
        why="podman info with overlay: $(head -n 1 "$work/podman-info.err")"
    elif ! podman_cmd load -i "$image" >"$work/podman-probe.log" 2>&1 || ! podman_clean >/dev/null 2>&1; then
        why="load with overlay: $(grep -m1 -i error "$work/podman-probe.log" || tail -n 1 "$work/podman-probe.log")"
    fi
    if [ -n "$why" ]; then
        podman_driver=vfs
        podman_reset
        podman_cmd info >/dev/null 2>"$work/podman-info.err" ||
            { setup_err="podman does not work here: $(head -n 1 "$work/podman-info.err")"; return 1; }
    fi
    note[podman]="podman $(podman --version | awk '{print $3}'), storage driver $podman_driver${why:+ (overlay failed: $why)}, --root/--runroot/--tmpdir/TMPDIR in $pdir"
}
podman_load() { podman_cmd load -i "$image"; }
podman_clean() { podman_cmd rmi -f "$tag" && podman_cmd image prune -a -f; }
podman_leftovers() {
    find "$pdir/root/$podman_driver" -mindepth 1 -maxdepth 1 -type d ! -name l 2>/dev/null
    find "$pdir/root/$podman_driver-layers" -mindepth 1 -maxdepth 1 -name '*.tar-split.gz' 2>/dev/null
    return 0
}

bdir= # berth's --root (made by berth_setup)
berth_setup() {
    [ -x "$BERTH_BIN/berth" ] || { setup_err="n/a: no $BERTH_BIN/berth yet"; return 1; }
    make_fs berth || { setup_err=$fs_err; return 1; }
    bdir=$fs_dir
    note[berth]="$BERTH_BIN/berth --root $bdir"
}
berth_load() { "$BERTH_BIN/berth" --root "$bdir" load -i "$image"; }
berth_clean() {
    "$BERTH_BIN/berth" --root "$bdir" rmi -f "$tag" &&
        "$BERTH_BIN/berth" --root "$bdir" image prune -a -f
}
berth_leftovers() { return 0; }

# unpackers for the second table: UNPACKER_unpack LAYER DIR
tar_unpack() { tar -xf "$1" -C "$2"; }
berth_unpack_unpack() { "$BERTH_BIN/berth-bench-unpack" "$1" "$2"; }

first_line() { grep -m1 -v '^[[:space:]]*$' "$1" 2>/dev/null | cut -c1-160 || true; }

# timed TABLE TOOL CMD... — sync, then CMD timed; a line in $results. Returns CMD's status.
timed() {
    local table=$1 tool=$2 t0 t1 rc=0
    shift 2
    sync
    t0=$EPOCHREALTIME
    "$@" >"$work/out" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    if [ $rc = 0 ]; then
        printf '%s\t%s\tok\t%s\n' "$table" "$tool" $((${t1/[.,]/} - ${t0/[.,]/})) >>"$results"
    fi
    return $rc
}
fail() { # fail TABLE TOOL MESSAGE — the tool's row says failed; it runs no more
    status[$2]=failed
    printf '%s\t%s\tfail\t%s\n' "$1" "$2" "$3" >>"$results"
    echo "  $2 failed: $3" >&2
}

# ---- table 1: load -------------------------------------------------------------------------------
tools=()
for t in docker podman berth; do
    [[ ,$only, == *,$t,* ]] || continue
    echo "image_load.sh: setting up $t" >&2
    setup_err=
    if "${t}_setup"; then
        status[$t]=ok
        tools+=("$t")
    else
        status[$t]=na
        case $setup_err in n/a*) note[$t]=$setup_err ;; *) fail load "$t" "$setup_err" ;; esac
    fi
done
declare -A warned
if [ $warmup = 1 ]; then
    for t in ${tools[@]+"${tools[@]}"}; do
        echo "image_load.sh: warm-up load: $t" >&2
        if ! "${t}_load" >"$work/out" 2>&1; then
            fail load "$t" "warm-up load: $(first_line "$work/out")"
        elif ! "${t}_clean" >"$work/out" 2>&1; then
            fail load "$t" "rmi/prune after the warm-up: $(first_line "$work/out")"
        fi
    done
fi
n=${#tools[@]}
for ((r = 0; r < rounds; r++)); do
    line="round $((r + 1))/$rounds:"
    for ((i = 0; i < n; i++)); do
        t=${tools[(i + r) % n]}
        [ "${status[$t]}" = ok ] || continue
        if ! timed load "$t" "${t}_load"; then
            fail load "$t" "load: $(first_line "$work/out")"
            continue
        fi
        line="$line $t $(tail -n 1 "$results" | awk -F'\t' '{ printf "%.2fs", $4 / 1e6 }')"
        if ! "${t}_clean" >"$work/out" 2>&1; then
            fail load "$t" "rmi/prune: $(first_line "$work/out")"
            continue
        fi
        left=$("${t}_leftovers")
        if [ -n "$left" ] && [ -z "${warned[$t]:-}" ]; then
            warned[$t]=1
            echo "  $t: layers left in its store after rmi + prune, the next loads are not cold:" >&2
            printf '%s\n' "$left" | head -n 5 | sed 's/^/    /' >&2
        fi
    done
    echo "  $line" >&2
done
# The daemons are done: stop them before the unpack table so they cost it nothing.
stop_private_dockerd
[ "${status[podman]:-}" != ok ] || podman_reset
# and their filesystems are done too
release_all_fs

# ---- table 2: unpack -----------------------------------------------------------------------------
echo "image_load.sh: layer unpack, $big_layer" >&2
layer=$work/layer.tar
tar -xOf "$image" "$big_layer" >"$layer"
layer_entries=$(tar -tf "$layer" | wc -l)
unpackers=(tar)
status[tar]=ok
note[tar]="$(tar --version | head -n 1)"
if [ -x "$BERTH_BIN/berth-bench-unpack" ]; then
    unpackers+=(berth_unpack)
    status[berth_unpack]=ok
    note[berth_unpack]="$BERTH_BIN/berth-bench-unpack"
else
    status[berth_unpack]=na
    note[berth_unpack]="n/a: no $BERTH_BIN/berth-bench-unpack yet"
fi
# each unpacker's target on a fresh filesystem of its own (--host-fs: a dir in the work dir)
declare -A target
for u in "${unpackers[@]}"; do
    if make_fs "unpack-$u"; then
        target[$u]=$fs_dir
    else
        fail unpack "$u" "$fs_err"
    fi
done
n=${#unpackers[@]}
for ((r = -warmup; r < rounds; r++)); do
    for ((i = 0; i < n; i++)); do
        u=${unpackers[(i + r + n) % n]}
        [ "${status[$u]}" = ok ] || continue
        rm -rf --one-file-system "${target[$u]}"
        mkdir "${target[$u]}"
        if [ $r -lt 0 ]; then # warm-up, not counted
            "${u}_unpack" "$layer" "${target[$u]}" >"$work/out" 2>&1 || fail unpack "$u" "$(first_line "$work/out")"
        elif ! timed unpack "$u" "${u}_unpack" "$layer" "${target[$u]}"; then
            fail unpack "$u" "$(first_line "$work/out")"
        fi
    done
done
for u in "${unpackers[@]}"; do
    [ -z "${target[$u]:-}" ] || rm -rf --one-file-system "${target[$u]}"
done
release_all_fs

# ---- report ------------------------------------------------------------------------------------
export BENCH_NOTE_DOCKER=${note[docker]:-} BENCH_NOTE_PODMAN=${note[podman]:-} BENCH_NOTE_BERTH=${note[berth]:-}
export BENCH_NOTE_TAR=${note[tar]} BENCH_NOTE_BERTH_UNPACK=${note[berth_unpack]}
export BENCH_FS_DESC=$fs_desc
python3 - "$results" "$json_out" <<EOF
import json, os, statistics, sys
results, json_out = sys.argv[1], sys.argv[2]
image, tag, nlayers, image_bytes = "$image", "$tag", $nlayers, $image_bytes
big_layer, big_bytes, layer_entries = "$big_layer", $big_bytes, $layer_entries
work, work_fs, rounds, warmup = "$work", "$(fs_of "$work")", $rounds, $warmup
host_fs, fs_size, fs_desc = $host_fs == 1, "$fs_size", os.environ["BENCH_FS_DESC"]
tools = "$only".split(",")
notes = {"docker": os.environ["BENCH_NOTE_DOCKER"], "podman": os.environ["BENCH_NOTE_PODMAN"],
         "berth": os.environ["BENCH_NOTE_BERTH"], "tar": os.environ["BENCH_NOTE_TAR"],
         "berth_unpack": os.environ["BENCH_NOTE_BERTH_UNPACK"]}

def percentile(values, q):
    """Linear interpolation between closest ranks (as runtime_start.py)."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    k = (len(s) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)

def ratio_text(t, base):
    if t is None or base is None:
        return "n/a"
    if abs(t - base) / base < 0.05:
        return "same (within 5%)"
    return f"{t / base:.1f}x slower" if t > base else f"{base / t:.1f}x faster"

def print_table(headers, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))

times, failures = {}, {}
with open(results) as f:
    for raw in f:
        table, tool, kind, value = raw.rstrip("\n").split("\t", 3)
        if kind == "ok":
            times.setdefault((table, tool), []).append(int(value) / 1e6)
        else:
            failures.setdefault((table, tool), value)

def label_of(t):
    return "berth-bench-unpack" if t == "berth_unpack" else t

def table(name, names, baseline, size):
    med = {t: statistics.median(times[(name, t)]) for t in names
           if (name, t) in times and (name, t) not in failures}
    base = med.get(baseline)
    rows, out = [], []
    for t in names:
        label, v = label_of(t), times.get((name, t), [])
        if t in med:
            m, p90 = med[t], percentile(v, 90)
            if t == baseline:
                vs = "baseline"
            elif base is None:
                vs = f"n/a (no {label_of(baseline)})"
            else:
                vs = ratio_text(m, base)
            rows.append([label, str(len(v)), f"{m:.2f}", f"{p90:.2f}", f"{size / 1e6 / m:.0f}", vs])
            out.append({"tool": label, "rounds": len(v), "median_s": m, "p90_s": p90,
                        "mb_per_s": size / 1e6 / m, "seconds": v})
        else:
            why = failures.get((name, t)) or notes.get(t) or "n/a"
            vs = "n/a (not built yet)" if why.startswith("n/a") else f"failed: {why}"
            rows.append([label, str(len(v)), "-", "-", "-", vs])
            out.append({"tool": label, "error": why})
    return rows, out

print("# image load benchmark")
u = os.uname()
print(f"kernel {u.release}, nproc {os.cpu_count()}; {os.popen('date -u +%FT%TZ').read().strip()}")
print(f"image: {image} ({tag}, docker-archive, {nlayers} layers, {image_bytes / 1e6:.1f} MB of "
      f"uncompressed layer tars; MB = 10^6 bytes)")
if host_fs:
    print(f"work dirs: {work} on {work_fs} (the filesystem of /var/lib, not tmpfs); --host-fs: the")
    print(f"  stores straight on it, so the numbers include the state of that filesystem")
else:
    import textwrap
    print(textwrap.fill(
        f"stores: each tool's (and each unpacker's target) on a fresh ext4 of its own, made at setup: "
        f"a {fs_size} sparse image file in {work} (on {work_fs}), \`mkfs.ext4 -q -F\` with default "
        f"options ({fs_desc}), \`mount -o loop\`", width=100, subsequent_indent="  "))
for t in tools:
    print(f"  {t}: {notes.get(t) or 'not run'}")
print(f"each round: sync, then the timed \`load -i\` (wall clock, the tool's own fsyncs included), then rmi")
print(f"  + image prune -a (untimed) so that every load writes all layers; page cache warm for all;")
print(f"  {rounds} rounds, tools interleaved with the start order rotating"
      f"{', after one untimed warm-up load each' if warmup else ''}.")
print()
load_rows, load_json = table("load", tools, "berth", image_bytes)
print_table(["tool", "rounds", "median s", "p90 s", "MB/s", "time vs berth"], load_rows)
print()
print(f"# layer unpack: the biggest layer, {big_layer} ({big_bytes / 1e6:.1f} MB, {layer_entries} entries),")
where = work_fs if host_fs else "a fresh loop-mounted ext4 of its own per unpacker"
print(f"# into an empty dir on {where}; sync before each timed run, the dir removed between runs (untimed)")
for t in ("tar", "berth_unpack"):
    print(f"  {label_of(t)}: {notes[t]}")
print()
unpack_rows, unpack_json = table("unpack", ["tar", "berth_unpack"], "berth_unpack", big_bytes)
print_table(["unpacker", "rounds", "median s", "p90 s", "MB/s", "time vs berth"], unpack_rows)
print()
print("MB/s = uncompressed bytes / median. time vs berth = median / berth's median.")
if json_out:
    with open(json_out, "w") as f:
        json.dump({"image": {"path": image, "tag": tag, "layers": nlayers, "bytes": image_bytes},
                   "work_fs": work_fs,
                   "stores": "host" if host_fs else {"fs": "ext4 on loop", "size": fs_size,
                                                     "mkfs": "mkfs.ext4 -q -F", "details": fs_desc},
                   "tables": [{"label": "load", "rows": load_json},
                              {"label": "unpack", "layer": big_layer, "bytes": big_bytes,
                               "rows": unpack_json}]}, f, indent=2)
    print(f"both tables: {json_out}")
EOF
