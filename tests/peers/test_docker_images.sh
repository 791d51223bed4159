#!/usr/bin/env bash
# Image interop with Debian's dockerd 20.10: an image built and saved by docker loads into berth
# with the same ID and the same root file system (compared with `docker export`, less what docker
# adds to every container: .dockerenv, /etc/hosts, hostname, resolv.conf, mtab, /dev); berth's
# save loads back into docker with the same ID and runs there.
source "$(dirname "$0")/../lib.sh"
# shellcheck source=dockerd_lib.sh
source "$BERTH_SRC/tests/peers/dockerd_lib.sh"

BERTH=$BERTH_BIN/berth
STATE=$TMP/images
b() { "$BERTH" --root "$STATE" "$@"; }
[ -x "$DOCKERD" ] || skip_all "dockerd is not installed (docker.io)"
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"

# The docker-built fixture (cached between runs under the build dir).
FIXTURE=${BERTH_BUILD:-$BERTH_SRC/build}/fixtures/docker-image
if ! out=$(bash "$BERTH_SRC/tests/fixture/make-docker-image.sh" "$FIXTURE" 2>&1); then
	_not_ok "docker builds the fixture image"
	_indent "$(tail -20 <<<"$out")"
	finish
fi
docker_id=$(sed -n 's/^image_id=//p' "$FIXTURE/info.txt")
docker_layers=$(sed -n 's/^layers=//p' "$FIXTURE/info.txt")
tag=$(sed -n 's/^tag=//p' "$FIXTURE/info.txt")

# ---- docker save -> berth load ------------------------------------------------------------------
out=$(b load -i "$FIXTURE/image.tar" 2>&1)
check_eq "berth loads docker's save" "Loaded image: $tag" "$out"
check_eq "same image ID as in docker" "$docker_id" "$(b image inspect --format '{{.Id}}' "$tag")"
check_eq "same number of layers" "$docker_layers" "$(b image inspect --format '{{len .RootFS.Layers}}' "$tag")"
check_eq "same diffIDs" "$(sed -n 's/^diff_id=//p' "$FIXTURE/info.txt" | paste -sd,)" \
	"$(b image inspect --format '{{join .RootFS.Layers ","}}' "$tag")"
check_eq "config kept (WorkingDir)" "/data" "$(b image inspect --format '{{.Config.WorkingDir}}' "$tag")"

mkdir -p "$TMP/berth-root" "$TMP/docker-root"
b image mount "$tag" "$TMP/berth-root"
on_exit "umount '$TMP/berth-root'"
tar --xattrs --xattrs-include='*' --numeric-owner -C "$TMP/docker-root" -xpf "$FIXTURE/rootfs.tar"
out=$("$PYTHON" "$BERTH_SRC/tests/fixture/compare_trees.py" "$TMP/berth-root" "$TMP/docker-root" \
	--ignore .dockerenv etc/hosts etc/hostname etc/resolv.conf etc/mtab dev proc sys 2>&1)
check "berth's rootfs equals docker export (files, modes, owners, links, times, caps)" test $? -eq 0 ||
	_indent "$out"
echo "# $(tail -1 <<<"$out")"
b image umount "$TMP/berth-root"

# ---- berth save -> docker load -> docker run --------------------------------------------------------
check "berth saves the image" b save -o "$TMP/from-berth.tar" "$tag"
PD_DIR=$(mktemp -d /tmp/bdi.XXXXXX)
on_exit "stop_private_dockerd"
if ! start_private_dockerd >/dev/null 2>&1; then
	_not_ok "private dockerd starts: $PD_START_ERROR"
	finish
fi
out=$("$DOCKER" load -i "$TMP/from-berth.tar" 2>&1)
check_contains "docker loads berth's save" "Loaded image: $tag" "$out"
check_eq "docker sees the same image ID" "$docker_id" "$("$DOCKER" image inspect -f '{{.Id}}' "$tag" 2>&1)"
out=$("$DOCKER" run --rm --network none "$tag" sh -c 'cat /etc/motd 2>/dev/null; ls / | wc -l; id -u' 2>&1)
check "docker runs the image berth saved" test -n "$out"
echo "# docker run printed: $(tr '\n' ' ' <<<"$out")"

# An image berth made itself (bootstrap) runs in docker too.
b image bootstrap busybox >/dev/null
b save -o "$TMP/busybox.tar" busybox
check "docker loads berth's bootstrap busybox" "$DOCKER" load -i "$TMP/busybox.tar"
check_eq "and runs it" "hello from berth" "$("$DOCKER" run --rm --network none busybox echo hello from berth 2>&1)"
check_eq "docker reports berth's image ID" "$(b image inspect --format '{{.Id}}' busybox)" \
	"$("$DOCKER" image inspect -f '{{.Id}}' busybox)"

finish
