#!/usr/bin/env bash
# Image interop with the containers/* and OCI tools (skopeo, umoci, buildah, podman when present):
#  - berth's saves (--format oci and the default combined format) are read by skopeo (inspect,
#    copy to oci:, dir: and docker-archive:) with berth's layer digests, config and image ID;
#  - umoci lists and unpacks them into the same root file system as `berth image mount` shows,
#    whiteouts and opaque directories included;
#  - archives written by buildah (from scratch, and on top of berth's busybox), skopeo (zstd, a
#    docker-archive made from berth's save), buildah's manifest lists and umoci's repack load
#    into berth with their config and files;
#  - a tar that is not an image archive is refused with a one-line error and the store unchanged.
# The tools run in a private mount namespace with a tmpfs on /var/lib (as root they keep a blob
# cache in /var/lib/containers/cache whatever --root says) and a containers.conf that keeps their
# network lock files under the temp dir, so nothing of theirs is left on the host.
source "$(dirname "$0")/../lib.sh"
require_root

BERTH=$BERTH_BIN/berth
STATE=$TMP/images
FIXTURE_PY=$BERTH_SRC/tests/fixture
for t in skopeo umoci buildah unshare; do
	command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
done
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"

# b ARGS... — berth on this script's store; bt ROOT ARGS... — berth on another store.
b() { timeout -k 5 120 "$BERTH" --root "$STATE" "$@"; }
bt() {
	local root=$1
	shift
	timeout -k 5 120 "$BERTH" --root "$root" "$@"
}

# ---- the tools, hermetic ---------------------------------------------------------------------
export TMPDIR=$TMP/tmp # skopeo and buildah unpack oci-archive: inputs here
mkdir -p "$TMPDIR" "$TMP/cni-plugins"
export CONTAINERS_CONF=$TMP/containers.conf
cat >"$CONTAINERS_CONF" <<EOF
[network]
network_backend = "cni"
network_config_dir = "$TMP/cni-config"
cni_plugin_dirs = ["$TMP/cni-plugins"]
[engine]
tmp_dir = "$TMP/libpod-tmp"
volume_path = "$TMP/volumes"
EOF
TOOL_LOG=$TMP/tool-stderr.log
: >"$TOOL_LOG"

# tool CMD... — runs CMD in a private mount namespace with a tmpfs on /var/lib. Whatever it prints
# on stderr is shown and also kept, with the command, in $TOOL_LOG (checked at the end).
tool() {
	local rc
	timeout -k 5 180 unshare --mount --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 berth-test /var/lib && exec "$@"' sh "$@" 2>"$TMP/tool.err"
	rc=$?
	if [ -s "$TMP/tool.err" ]; then
		{
			echo "\$ $* (exit $rc)"
			cat "$TMP/tool.err"
		} >>"$TOOL_LOG"
		cat "$TMP/tool.err" >&2
	fi
	return $rc
}
sk() { tool skopeo "$@"; }
um() { tool umoci "$@"; }
BUILDAH_DRIVER=${BUILDAH_DRIVER:-overlay} # BUILDAH_DRIVER=vfs forces the fallback
bu() { tool buildah --root "$TMP/buildah-$BUILDAH_DRIVER" --runroot "$TMP/buildah-run-$BUILDAH_DRIVER" \
	--storage-driver "$BUILDAH_DRIVER" "$@"; }

# ---- helpers ---------------------------------------------------------------------------------

# pj EXPR — the Python expression EXPR over the JSON document on stdin (bound to d); strings are
# printed as they are, anything else as compact JSON.
pj() {
	"$PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$1"
}

# oci_config ARCHIVE.tar REF — the config digest (the image ID) of the image tagged REF
# (org.opencontainers.image.ref.name) in an OCI layout tar; nested indexes are followed to their
# first manifest.
oci_config() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    def read(name):
        for n in (name, "./" + name):
            try:
                return json.load(t.extractfile(n))
            except KeyError:
                pass
        raise SystemExit("no " + name)
    index = read("index.json")
    desc = [m for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]][0]
    doc = read("blobs/sha256/" + desc["digest"].split(":")[1])
    while "manifests" in doc:
        doc = read("blobs/sha256/" + doc["manifests"][0]["digest"].split(":")[1])
    print(doc["config"]["digest"])
EOF
}

# listing DIR — every path under DIR, sorted.
listing() {
	(cd "$1" && find . | LC_ALL=C sort)
}

# mount_image ROOT IMAGE DIR — `berth image mount`, undone at exit if the script does not.
mount_image() {
	mkdir -p "$3"
	on_exit "'$BERTH' --root '$1' image umount '$3'"
	bt "$1" image mount "$2" "$3"
}

# same_tree NAME A B — A and B hold the same files (types, modes, owners, sizes, contents, link
# targets, mtimes); the path listings are compared too so a difference is easy to read.
same_tree() {
	local out
	check_eq "$1: same paths" "$(listing "$2")" "$(listing "$3")"
	out=$("$PYTHON" "$FIXTURE_PY/compare_trees.py" "$2" "$3" 2>&1)
	check "$1: same types, modes, owners, contents, link targets" test $? -eq 0 || _indent "$out"
}

# layer_ids ROOT IMAGE — the diffIDs, comma-separated.
layer_ids() {
	bt "$1" image inspect --format '{{join .RootFS.Layers ","}}' "$2"
}

# ==== 1. images in berth: busybox and a three-layer image with whiteouts ========================
check "berth bootstraps busybox" b image bootstrap busybox
bb_layer=$(layer_ids "$STATE" busybox)
b save --format oci -o "$TMP/busybox-oci.tar" busybox

# Layer 1 is busybox's own layer (taken from berth's save, so the image shares it); layer 2 adds a
# tree with a symlink, a hard link, a setuid file, a fifo and a private directory owned by 1000;
# layer 3 deletes data/b.txt (.wh.), makes data/sub opaque (.wh..wh..opq) and rewrites etc/motd.
F=$TMP/fixture
mkdir -p "$F/l2/data/sub" "$F/l2/data/private" "$F/l2/etc" "$F/l3/data/sub" "$F/l3/etc"
tar -xOf "$TMP/busybox-oci.tar" "blobs/sha256/${bb_layer#sha256:}" >"$F/l1.tar"
echo a >"$F/l2/data/a.txt"
echo b >"$F/l2/data/b.txt"
echo c >"$F/l2/data/sub/c.txt"
echo keep >"$F/l2/data/sub/keep"
ln -s a.txt "$F/l2/data/link"
ln "$F/l2/data/a.txt" "$F/l2/data/hard"
printf '#!/bin/sh\necho suid\n' >"$F/l2/data/suid"
chmod 4755 "$F/l2/data/suid"
echo secret >"$F/l2/data/private/s"
chmod 700 "$F/l2/data/private"
chown -R 1000:1000 "$F/l2/data/private"
mkfifo "$F/l2/data/fifo"
echo motd1 >"$F/l2/etc/motd"
touch "$F/l3/data/.wh.b.txt" "$F/l3/data/sub/.wh..wh..opq"
echo d >"$F/l3/data/sub/d.txt"
echo motd2 >"$F/l3/etc/motd"
tar --numeric-owner -C "$F/l2" -cf "$F/l2.tar" .
tar --numeric-owner -C "$F/l3" -cf "$F/l3.tar" .
"$PYTHON" "$FIXTURE_PY/make_image_archive.py" "$F/layered.tar" --tag layered:v1 \
	"$F/l1.tar" "$F/l2.tar" "$F/l3.tar" >/dev/null
check_eq "berth loads the three-layer fixture" "Loaded image: layered:v1" "$(b load -i "$F/layered.tar" 2>&1)"
id=$(b image inspect --format '{{.Id}}' layered:v1)
diffids=$(layer_ids "$STATE" layered:v1)
arch=$(b image inspect --format '{{.Architecture}}' layered:v1)
check_eq "it has 3 layers" 3 "$(b image inspect --format '{{len .RootFS.Layers}}' layered:v1)"
check_eq "its first layer is busybox's" "$bb_layer" "${diffids%%,*}"

BMNT=$TMP/mnt-layered
mount_image "$STATE" layered:v1 "$BMNT"
check "whiteout applied in berth's mount (data/b.txt gone)" test ! -e "$BMNT/data/b.txt"
check "opaque dir applied in berth's mount (data/sub/c.txt gone, d.txt there)" \
	test ! -e "$BMNT/data/sub/c.txt" -a ! -e "$BMNT/data/sub/keep" -a -f "$BMNT/data/sub/d.txt"
check_eq "upper layer wins in berth's mount (etc/motd)" motd2 "$(cat "$BMNT/etc/motd" 2>&1)"

# ==== 2. berth save -> skopeo ======================================================================
check "berth save --format oci" b save --format oci -o "$TMP/layered-oci.tar" layered:v1
check "berth save (combined)" b save -o "$TMP/layered-combined.tar" layered:v1

for fmt in oci combined; do
	A=$TMP/layered-$fmt.tar
	out=$(sk inspect "oci-archive:$A")
	check "[$fmt] skopeo inspect oci-archive: succeeds" test $? -eq 0 || _indent "$out"
	check_eq "[$fmt] skopeo sees 3 layers" 3 "$(pj 'len(d["Layers"])' <<<"$out")"
	check_eq "[$fmt] skopeo sees berth's architecture ($arch)" "$arch" "$(pj 'd["Architecture"]' <<<"$out")"
	check_eq "[$fmt] skopeo sees os linux" linux "$(pj 'd["Os"]' <<<"$out")"
	# berth's own layers are stored uncompressed: blob digest == diffID.
	check_eq "[$fmt] skopeo's layer digests are berth's diffIDs" "$diffids" "$(pj '",".join(d["Layers"])' <<<"$out")"
	check_eq "[$fmt] skopeo's config digest is berth's image ID" "$id" \
		"$(sk inspect --raw "oci-archive:$A" | pj 'd["config"]["digest"]')"

	out=$(sk copy -q "oci-archive:$A" "oci:$TMP/copy-$fmt:copied" 2>&1)
	check "[$fmt] skopeo copy oci-archive: -> oci: succeeds" test $? -eq 0 || _indent "$out"
	check_eq "[$fmt] skopeo copy -> oci: is silent (no warnings)" "" "$out"
	# skopeo compresses layers for an oci: destination; the config (hence the ID) is kept.
	check_eq "[$fmt] the oci: copy keeps berth's config (image ID)" "$id" \
		"sha256:$(sk inspect --raw --config "oci:$TMP/copy-$fmt:copied" | sha256sum | cut -d' ' -f1)"
	check_eq "[$fmt] the oci: copy keeps the diffIDs" "$diffids" \
		"$(sk inspect --config "oci:$TMP/copy-$fmt:copied" | pj '",".join(d["rootfs"]["diff_ids"])')"

	out=$(sk copy -q "oci-archive:$A" "dir:$TMP/dir-$fmt" 2>&1)
	check "[$fmt] skopeo copy oci-archive: -> dir: succeeds" test $? -eq 0 || _indent "$out"
	check_eq "[$fmt] dir: copy has berth's layer digests" "$diffids" \
		"$(pj '",".join(l["digest"] for l in d["layers"])' <"$TMP/dir-$fmt/manifest.json")"
	bad=
	for l in ${diffids//,/ }; do
		[ "$(sha256sum "$TMP/dir-$fmt/${l#sha256:}" | cut -d' ' -f1)" = "${l#sha256:}" ] || bad+=" $l"
	done
	check_eq "[$fmt] every copied layer hashes to its digest" "" "$bad"
done
# The combined archive is a docker-save archive too.
out=$(sk inspect "docker-archive:$TMP/layered-combined.tar")
check "[combined] skopeo inspect docker-archive: succeeds" test $? -eq 0 || _indent "$out"
check_eq "[combined] docker-archive view: berth's diffIDs" "$diffids" "$(pj '",".join(d["Layers"])' <<<"$out")"

# ==== 3. umoci ls / unpack of berth's saves ==========================================================
for fmt in oci combined; do
	L=$TMP/layout-$fmt
	mkdir -p "$L"
	tar -C "$L" -xf "$TMP/layered-$fmt.tar"
	check_eq "[$fmt] index.json ref.name annotation is the tag" v1 \
		"$(pj 'd["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]' <"$L/index.json")"
	check_eq "[$fmt] umoci ls lists the tag" v1 "$(um ls --layout "$L" 2>&1)"
	out=$(um unpack --image "$L:v1" "$TMP/bundle-$fmt" 2>&1)
	check "[$fmt] umoci unpack succeeds" test $? -eq 0 || _indent "$out"
	check_eq "[$fmt] umoci unpack is silent" "" "$out"
	R=$TMP/bundle-$fmt/rootfs
	same_tree "[$fmt] umoci's rootfs vs berth image mount" "$BMNT" "$R"
	check_eq "[$fmt] bin/busybox checksum" "$(sha256sum </bin/busybox)" "$(sha256sum <"$R/bin/busybox" 2>&1)"
	check "[$fmt] umoci applied the whiteouts too" test ! -e "$R/data/b.txt" -a ! -e "$R/data/sub/c.txt"
	check_eq "[$fmt] umoci's runtime config runs the image's Cmd" '["sh"]' \
		"$(pj 'd["process"]["args"]' <"$TMP/bundle-$fmt/config.json")"
done
b image umount "$BMNT"

# ==== 4. archives written by buildah, skopeo and umoci load into berth ===============================
# buildah: overlay storage in a private root, vfs when overlay does not work here.
if ! out=$(bu from -q --name scratch-ctr scratch 2>&1); then
	echo "# buildah with overlay storage failed, using vfs: $out"
	BUILDAH_DRIVER=vfs
	out=$(bu from -q --name scratch-ctr scratch 2>&1)
fi
check "buildah from scratch ($BUILDAH_DRIVER storage)" test $? -eq 0 || _indent "$out"
echo "# buildah storage driver: $BUILDAH_DRIVER"

S=$TMP/buildah-src
mkdir -p "$S/app/sub"
echo hello >"$S/app/hello.txt"
ln -s hello.txt "$S/app/link"
ln "$S/app/hello.txt" "$S/app/hard"
printf '#!/bin/sh\necho run "$@"\n' >"$S/app/run.sh"
chmod 755 "$S/app/run.sh"
echo deep >"$S/app/sub/deep.txt"
check "buildah copy a tree with a symlink" bu copy -q scratch-ctr "$S" /
check "buildah config --cmd --env --workingdir --label" bu config --cmd '["/app/run.sh","arg"]' \
	--env GREETING="hello world" --env MODE=test --workingdir /app --label org.example.test=yes scratch-ctr
check "buildah commit" bu commit -q scratch-ctr localhost/bscratch:t1
check "buildah push oci-archive:" bu push -q localhost/bscratch:t1 "oci-archive:$TMP/buildah-scratch.tar:t1"

want=$(oci_config "$TMP/buildah-scratch.tar" t1)
out=$(b load -i "$TMP/buildah-scratch.tar" 2>&1)
check "berth loads buildah's oci-archive" test $? -eq 0 || _indent "$out"
# Only a bare tag (ref.name "t1") names the image in buildah's index: berth loads it by ID.
check_eq "berth reports the config digest as the image ID" "Loaded image ID: $want" "$out"
check_eq "Cmd as buildah set it" '["/app/run.sh","arg"]' "$(b image inspect --format '{{json .Config.Cmd}}' "$want" 2>&1)"
envs=$(b image inspect --format '{{json .Config.Env}}' "$want" 2>&1)
check_contains "Env has GREETING=hello world" '"GREETING=hello world"' "$envs"
check_contains "Env has MODE=test" '"MODE=test"' "$envs"
check_eq "WorkingDir as buildah set it" /app "$(b image inspect --format '{{.Config.WorkingDir}}' "$want" 2>&1)"
check_eq "Label as buildah set it" yes \
	"$(b image inspect --format '{{index .Config.Labels "org.example.test"}}' "$want" 2>&1)"
M=$TMP/mnt-bscratch
mount_image "$STATE" "$want" "$M"
check_eq "the mount has app/hello.txt" hello "$(cat "$M/app/hello.txt" 2>&1)"
check_eq "app/link is a symlink to hello.txt" hello.txt "$(readlink "$M/app/link" 2>&1)"
check "app/run.sh is executable" test -x "$M/app/run.sh"
check_eq "app/sub/deep.txt" deep "$(cat "$M/app/sub/deep.txt" 2>&1)"
mkdir -p "$TMP/bscratch-layout"
tar -C "$TMP/bscratch-layout" -xf "$TMP/buildah-scratch.tar"
um unpack --image "$TMP/bscratch-layout:t1" "$TMP/bscratch-bundle" >/dev/null
same_tree "buildah scratch image: berth mount vs umoci unpack" "$M" "$TMP/bscratch-bundle/rootfs"
b image umount "$M"

# buildah on top of berth's busybox save: reads berth's archive, writes gzip layers over it.
out=$(bu from -q --name bb-ctr "oci-archive:$TMP/busybox-oci.tar" 2>&1)
check "buildah from oci-archive: of berth's busybox save" test $? -eq 0 || _indent "$out"
bu copy -q bb-ctr "$S" / >/dev/null
bu config --cmd '["/app/run.sh"]' --env EXTRA=1 bb-ctr
bu commit -q bb-ctr localhost/bbplus:v2 >/dev/null
check "buildah push of the busybox-based image" bu push -q localhost/bbplus:v2 "oci-archive:$TMP/buildah-bb.tar:v2"
want=$(oci_config "$TMP/buildah-bb.tar" v2)
check_eq "berth loads it" "Loaded image ID: $want" "$(b load -i "$TMP/buildah-bb.tar" 2>&1)"
b tag "$want" bbplus:v2
check_eq "it has 2 layers" 2 "$(b image inspect --format '{{len .RootFS.Layers}}' bbplus:v2 2>&1)"
check_eq "the base layer is berth's busybox layer (same diffID)" "$bb_layer" \
	"$(b image inspect --format '{{index .RootFS.Layers 0}}' bbplus:v2 2>&1)"
check_contains "buildah kept busybox's PATH and added EXTRA" '"EXTRA=1"' \
	"$(b image inspect --format '{{json .Config.Env}}' bbplus:v2 2>&1)"
M=$TMP/mnt-bbplus
mount_image "$STATE" bbplus:v2 "$M"
mkdir -p "$TMP/bbplus-layout"
tar -C "$TMP/bbplus-layout" -xf "$TMP/buildah-bb.tar"
um unpack --image "$TMP/bbplus-layout:v2" "$TMP/bbplus-bundle" >/dev/null
same_tree "buildah busybox-based image: berth mount vs umoci unpack" "$M" "$TMP/bbplus-bundle/rootfs"
b image umount "$M"

# A manifest list pushed by buildah: the layout's index points to another index.
bu manifest create localhost/bblist >/dev/null
bu manifest add localhost/bblist localhost/bbplus:v2 >/dev/null
check "buildah manifest push --all oci-archive:" \
	bu manifest push -q --all localhost/bblist "oci-archive:$TMP/buildah-list.tar:list"
check_eq "the archive's index points to an image index" application/vnd.oci.image.index.v1+json \
	"$(tar -xOf "$TMP/buildah-list.tar" index.json | pj 'd["manifests"][0]["mediaType"]')"
out=$(bt "$TMP/images-list" load -i "$TMP/buildah-list.tar" 2>&1)
check_eq "berth loads the image of buildah's manifest list" "Loaded image ID: $want" "$out"

# skopeo: zstd-compressed layers.
out=$(sk copy -q --dest-compress --dest-compress-format zstd "oci-archive:$TMP/layered-oci.tar" \
	"oci-archive:$TMP/zstd.tar:z" 2>&1)
check "skopeo writes a zstd oci-archive" test $? -eq 0 || _indent "$out"
check_eq "its layers are zstd" application/vnd.oci.image.layer.v1.tar+zstd \
	"$(sk inspect --raw "oci-archive:$TMP/zstd.tar" | pj '" ".join(sorted(set(l["mediaType"] for l in d["layers"])))')"
out=$(bt "$TMP/images-zstd" load -i "$TMP/zstd.tar" 2>&1)
check_eq "berth loads the zstd archive with the same image ID" "Loaded image ID: $id" "$out"
check_eq "and the same diffIDs" "$diffids" "$(layer_ids "$TMP/images-zstd" "$id")"

# skopeo: berth's save -> docker-archive -> a fresh berth store. skopeo writes the config as it
# found it, so the image ID survives, and berth's compressed blobs (from buildah) are inflated.
for img in layered:v1 bbplus:v2; do
	n=${img%%:*}
	b save -o "$TMP/$n-resave.tar" "$img"
	out=$(sk copy -q "oci-archive:$TMP/$n-resave.tar" "docker-archive:$TMP/$n-docker.tar:skopeo/$img" 2>&1)
	check "[$img] skopeo copy oci-archive: -> docker-archive:" test $? -eq 0 || _indent "$out"
	R2=$TMP/images-$n-docker
	check_eq "[$img] a fresh berth store loads skopeo's docker-archive" "Loaded image: skopeo/$img" \
		"$(bt "$R2" load -i "$TMP/$n-docker.tar" 2>&1)"
	check_eq "[$img] same image ID" "$(b image inspect --format '{{.Id}}' "$img")" \
		"$(bt "$R2" image inspect --format '{{.Id}}' "skopeo/$img" 2>&1)"
	check_eq "[$img] same diffIDs" "$(layer_ids "$STATE" "$img")" "$(layer_ids "$R2" "skopeo/$img" 2>&1)"
	mount_image "$STATE" "$img" "$TMP/mnt-$n-a"
	mount_image "$R2" "skopeo/$img" "$TMP/mnt-$n-b"
	same_tree "[$img] rootfs after the docker-archive round trip" "$TMP/mnt-$n-a" "$TMP/mnt-$n-b"
	b image umount "$TMP/mnt-$n-a"
	bt "$R2" image umount "$TMP/mnt-$n-b"
done

# podman (when installed) reads berth's combined archive.
if command -v podman >/dev/null 2>&1; then
	P=(podman --root "$TMP/podman" --runroot "$TMP/podman-run" --storage-driver vfs)
	out=$(tool "${P[@]}" load -q -i "$TMP/layered-combined.tar" 2>&1)
	check_contains "podman loads berth's combined archive" "layered:v1" "$out"
	check_eq "podman sees berth's image ID" "${id#sha256:}" \
		"$(tool "${P[@]}" image inspect --format '{{.Id}}' docker.io/library/layered:v1 2>&1)"
else
	skip "podman loads berth's combined archive" "podman is not installed"
fi

# umoci writes: unpack berth's busybox, delete and add files, repack (whiteouts), new Cmd.
U=$TMP/umoci-layout
mkdir -p "$U"
tar -C "$U" -xf "$TMP/busybox-oci.tar"
um unpack --image "$U:latest" "$TMP/umoci-edit" >/dev/null
rm -f "$TMP/umoci-edit/rootfs/etc/passwd"
rm -rf "$TMP/umoci-edit/rootfs/home"
mkdir -p "$TMP/umoci-edit/rootfs/srv"
echo umoci >"$TMP/umoci-edit/rootfs/srv/x"
check "umoci repack" um repack --image "$U:edited" "$TMP/umoci-edit"
check "umoci config --config.cmd" um config --image "$U:edited" --config.cmd /bin/echo --config.cmd edited
um rm --image "$U:latest" && um gc --layout "$U"
tar -C "$U" -cf "$TMP/umoci.tar" .
want=$(oci_config "$TMP/umoci.tar" edited)
R3=$TMP/images-umoci
out=$(bt "$R3" load -i "$TMP/umoci.tar" 2>&1)
check "berth loads umoci's layout" test $? -eq 0 || _indent "$out"
echo "# berth load of umoci's layout said: $out"
check_eq "umoci's image is in the store" "$want" "$(bt "$R3" image inspect --format '{{.Id}}' "$want" 2>&1)"
check_eq "with umoci's Cmd" '["/bin/echo","edited"]' "$(bt "$R3" image inspect --format '{{json .Config.Cmd}}' "$want" 2>&1)"
check_eq "and busybox's layer under umoci's" "$bb_layer" "$(bt "$R3" image inspect --format '{{index .RootFS.Layers 0}}' "$want" 2>&1)"
M=$TMP/mnt-umoci
mount_image "$R3" "$want" "$M"
check "umoci's whiteouts apply in berth (etc/passwd, home gone; srv/x there)" \
	test ! -e "$M/etc/passwd" -a ! -e "$M/home" -a -f "$M/srv/x" -a -f "$M/etc/group"
um unpack --image "$U:edited" "$TMP/umoci-edit-check" >/dev/null
same_tree "umoci's image: berth mount vs umoci unpack" "$M" "$TMP/umoci-edit-check/rootfs"
bt "$R3" image umount "$M"

# ==== 5. a tar that is not an image archive ============================================================
before=$(b images -q | LC_ALL=C sort)
mkdir -p "$TMP/junk"
echo hi >"$TMP/junk/file.txt"
tar -C "$TMP/junk" -cf "$TMP/junk.tar" .
out=$(b load -i "$TMP/junk.tar" 2>&1)
rc=$?
check_ne "load of a plain tar exits non-zero" 0 "$rc"
check_eq "with a one-line error" 1 "$(wc -l <<<"$out")"
check_match "naming manifest.json and index.json" 'manifest\.json.*index\.json|index\.json.*manifest\.json' "$out"
check_eq "images -q unchanged" "$before" "$(b images -q | LC_ALL=C sort)"

echo "not a tar" >"$TMP/notatar"
out=$(b load -i "$TMP/notatar" 2>&1)
rc=$?
check_ne "load of a non-tar file exits non-zero" 0 "$rc"
check_eq "with a one-line error" 1 "$(wc -l <<<"$out")"
check_eq "images -q unchanged" "$before" "$(b images -q | LC_ALL=C sort)"

# buildah's layout without one of its layers; and a truncated archive.
mkdir -p "$TMP/broken"
tar -C "$TMP/broken" -xf "$TMP/buildah-bb.tar"
missing=$(tar -xOf "$TMP/buildah-bb.tar" "blobs/sha256/$(tar -xOf "$TMP/buildah-bb.tar" index.json |
	pj 'd["manifests"][0]["digest"].split(":")[1]')" | pj 'd["layers"][-1]["digest"]')
rm "$TMP/broken/blobs/sha256/${missing#sha256:}"
tar -C "$TMP/broken" -cf "$TMP/broken.tar" .
R4=$TMP/images-broken
bt "$R4" image bootstrap busybox >/dev/null
before4=$(bt "$R4" images -q)
out=$(bt "$R4" load -i "$TMP/broken.tar" 2>&1)
check_ne "load of a layout missing a layer blob exits non-zero" 0 $?
check_contains "and names the missing layer" "$missing" "$out"
check_eq "images -q unchanged" "$before4" "$(bt "$R4" images -q)"
head -c $(($(stat -c %s "$TMP/buildah-bb.tar") / 2)) "$TMP/buildah-bb.tar" >"$TMP/truncated.tar"
out=$(bt "$R4" load -i "$TMP/truncated.tar" 2>&1)
check_ne "load of a truncated archive exits non-zero" 0 $?
check_eq "with a one-line error" 1 "$(wc -l <<<"$out")"
check_eq "images -q unchanged" "$before4" "$(bt "$R4" images -q)"

# ==== what the tools said ==============================================================================
warnings=$(grep -v -E '^\$ ' "$TOOL_LOG")
check_eq "no tool printed anything on stderr" "" "$warnings" || _indent "$(cat "$TOOL_LOG")"

finish
