#!/usr/bin/env bash
# `berth image bootstrap debian:bookworm`: debootstrap from the Debian archive into a proper
# single-layer image, which a container then runs (bash, dpkg) on the image's root file system.
source "$(dirname "$0")/../lib.sh"

BERTH=$BERTH_BIN/berth
STATE=$TMP/images
b() { "$BERTH" --root "$STATE" "$@"; }
[ -x /usr/sbin/debootstrap ] || skip_all "debootstrap is not installed"
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

start=$(date +%s)
out=$(b image bootstrap debian:bookworm --mirror "$mirror" 2>&1)
rc=$?
echo "# bootstrap took $(($(date +%s) - start)) s"
if [ $rc -ne 0 ] && grep -qiE "resolve|connect|network|Failed getting release file" <<<"$out"; then
	skip_all "the Debian archive is not reachable: $(tail -1 <<<"$out")"
fi
check_eq "bootstrap succeeds" 0 "$rc" || _indent "$out"
check_contains "and names the image" "Bootstrapped debian:bookworm" "$out"
check_eq "one layer" 1 "$(b image inspect --format '{{len .RootFS.Layers}}' debian:bookworm)"
check_eq "default command bash" '["bash"]' "$(b image inspect --format '{{json .Config.Cmd}}' debian:bookworm)"
size=$(b image inspect --format '{{.Size}}' debian:bookworm)
check "a minbase system is 100-400 MB" test "$size" -gt 100000000 -a "$size" -lt 400000000
check_contains "history tells how it was made" "debootstrap --variant=minbase bookworm" "$(b history --no-trunc debian:bookworm)"

mkdir -p "$TMP/root"
b image mount debian:bookworm "$TMP/root"
on_exit "umount '$TMP/root'"
check_contains "it is Debian 12" "12." "$(cat "$TMP/root/etc/debian_version")"
check_eq "no downloaded packages left in the image" 0 "$(find "$TMP/root/var/cache/apt/archives" -name '*.deb' | wc -l)"
check_eq "no device nodes in the image's /dev" "" "$(ls -A "$TMP/root/dev")"

# Run it: a container on the image's root file system (read-only), through berth-runtime.
"$BERTH_SRC/tests/fixture/make-bundle.sh" "$TMP/bundle" >/dev/null
rm -rf "$TMP/bundle/rootfs" && mkdir "$TMP/bundle/rootfs"
mount --bind "$TMP/root" "$TMP/bundle/rootfs"
on_exit "umount '$TMP/bundle/rootfs'"
"$PYTHON" - "$TMP/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["root"]["readonly"] = True
c["process"]["args"] = ["bash", "-c", ". /etc/os-release; echo $VERSION_CODENAME; dpkg -s bash | grep -c '^Status: install ok installed'"]
c["process"]["env"] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
json.dump(c, open(p, "w"))
PY
out=$(rt run --bundle "$TMP/bundle" "$(cid deb)" 2>&1)
check_eq "a container runs bash and dpkg in it" "bookworm
1" "$out"

finish
