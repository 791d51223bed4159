#!/usr/bin/env bash
# docker run -w (and an image's WORKDIR) naming a directory the image lacks: dockerd creates it
# (0755, owned by root whatever the container's user) and the container starts there. Symlinks
# on the way are followed inside the container's root file system only. A file in the way is
# docker's error (exit 125). A command that is not there is reported once (no "Error waiting for
# container" after the start's error).
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

out=$(docker run --rm -w /new/dir busybox sh -c 'pwd; stat -c "%n %U:%G %a" /new /new/dir' 2>&1)
check_eq "run -w /new/dir: made, and the container starts there" \
	"$(printf '/new/dir\n/new root:root 755\n/new/dir root:root 755')" "$out"

out=$(docker run --rm -u app -w /home/app/work busybox sh -c 'pwd; stat -c "%U %a" /home/app/work' 2>&1)
check_eq "run -u app -w: made as root (as dockerd does)" "$(printf '/home/app/work\nroot 755')" "$out"

out=$(docker run --rm -w /tmp/../made/./here busybox pwd 2>&1)
check_eq "run -w with . and ..: the clean path" "/made/here" "$out"

# An image whose WORKDIR is missing, and one with symlinks that point out of the root.
mkdir -p "$TMP/outside" "$TMP/image/bin" "$TMP/image/data"
cp /bin/busybox "$TMP/image/bin/busybox"
for applet in sh pwd stat; do ln -s busybox "$TMP/image/bin/$applet"; done
ln -s "$TMP/outside" "$TMP/image/escape"
ln -s ../../../../../../.. "$TMP/image/up"
ln -s /data "$TMP/image/inside"
chmod 0700 "$TMP/image/data"
tar -C "$TMP/image" -c . | docker import --change 'WORKDIR /srv/app' --change 'CMD ["pwd"]' - links >/dev/null
check_eq "an image's missing WORKDIR is made" "/srv/app" "$(docker run --rm links 2>&1)"
check_eq "an existing -w is left as it is" "/data 700" \
	"$(docker run --rm -w /data links sh -c 'echo "$(pwd) $(stat -c %a /data)"' 2>&1)"
check_eq "a symlink inside the image is followed" "dir" \
	"$(docker run --rm -w /inside/sub links sh -c 'test -d /data/sub && echo dir' 2>&1)"
docker run --rm -w /escape/x links pwd >/dev/null 2>&1
check "an absolute symlink to a host path: nothing made on the host" test ! -e "$TMP/outside/x"
check_eq "it is made inside the container instead" "dir" \
	"$(docker run --rm -w /escape/x links sh -c "test -d $TMP/outside/x && echo dir" 2>&1)"
docker run --rm -w /up/climbed links pwd >/dev/null 2>&1
check "a symlink climbing out: nothing made on the host" test ! -e /climbed
check_eq "it stays in the container's root" "dir" \
	"$(docker run --rm -w /up/climbed links sh -c 'test -d /climbed && echo dir' 2>&1)"

out=$(docker run --rm -w /etc/passwd busybox pwd 2>&1)
check_eq "-w naming a file: exit code 125" "125" "$?"
check_contains "-w naming a file: docker's error" "Cannot mkdir: /etc/passwd is not a directory" "$out"
check_eq "-w naming a file: the --rm container is gone" "" "$(docker ps -aq)"

out=$(docker run --rm busybox nosuchprog 2>&1)
check_eq "a missing command: exit code 127" "127" "$?"
check_contains "a missing command: the runtime's error" 'exec: "nosuchprog": executable file not found' "$out"
check_not_contains "a missing command: no failed wait reported after it" "Error waiting for container" "$out"

finish
