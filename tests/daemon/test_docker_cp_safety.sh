#!/usr/bin/env bash
# docker cp against containers that fight back, through the docker CLI: an /etc/passwd that is a
# FIFO (the copy hung for ever) or /dev/zero (berthd grew by 170 MB/s) is never read; extended
# attributes of symlinks and devices in an upload are set (they went through the container's
# /proc); tars from `docker cp CONTAINER:PATH -` name owners from the container's files.
source "$(dirname "$0")/../lib.sh"

require_root
source "$(dirname "$0")/berthd_lib.sh"

start_berthd
import_busybox

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
echo "payload" >"$TMP/payload"

# ---- /etc/passwd that is not a file ------------------------------------------------------------
# The containers run as root, named: docker cp -a looks the name up in /etc/passwd.
docker run -d --name fifo -u root busybox \
	sh -c 'rm /etc/passwd && mkfifo /etc/passwd && exec sleep 1000' >/dev/null
docker run -d --name zero -u root busybox \
	sh -c 'rm /etc/passwd && mknod /etc/passwd c 1 5 && exec sleep 1000' >/dev/null
check "the FIFO is in place" wait_until 10 docker exec -u 0 fifo test -p /etc/passwd
check "the device is in place" wait_until 10 docker exec -u 0 zero test -c /etc/passwd

before=$(rss_kb "$BERTHD_PID")
out=$(timeout 30 "$DOCKER_BIN" cp -a "$TMP/payload" fifo:/tmp/ 2>&1)
rc=$?
check_ne "docker cp -a into a container whose /etc/passwd is a FIFO returns" 124 "$rc"
check_contains "... with the user not found" "no matching entries in passwd file" "$out"
out=$(timeout 30 "$DOCKER_BIN" cp -a "$TMP/payload" zero:/tmp/ 2>&1)
rc=$?
check_ne "docker cp -a into a container whose /etc/passwd is /dev/zero returns" 124 "$rc"
check_contains "... with the user not found" "no matching entries in passwd file" "$out"
grown=$(($(rss_kb "$BERTHD_PID") - before))
check "berthd did not grow reading it (${grown} KB)" test "$grown" -lt 20000
check "berthd still answers" docker version
check "plain docker cp (no -a) into them still works" docker cp "$TMP/payload" zero:/tmp/plain
check_eq "... and the file is there" "payload" "$(docker exec -u 0 zero cat /tmp/plain)"
# A FIFO in the tree being archived is an entry, never opened.
check "docker cp of a tree with a FIFO in it returns" \
	timeout 30 "$DOCKER_BIN" cp fifo:/etc "$TMP/etc-copy"
check "... and holds the FIFO as a FIFO" test -p "$TMP/etc-copy/passwd"

# ---- xattrs of symlinks and devices in an upload -----------------------------------------------
docker run -d --name target busybox sleep 1000 >/dev/null
"$PYTHON" - "$TMP/xattrs.tar" <<-'EOF'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tar:
	    link = tarfile.TarInfo("dst/link")
	    link.type, link.linkname = tarfile.SYMTYPE, "nowhere"
	    link.pax_headers = {"SCHILY.xattr.trusted.berth": "on-the-link"}
	    tar.addfile(link)
	    dev = tarfile.TarInfo("dst/null")
	    dev.type, dev.devmajor, dev.devminor, dev.mode = tarfile.CHRTYPE, 1, 3, 0o666
	    dev.pax_headers = {"SCHILY.xattr.trusted.berth": "on-the-device"}
	    tar.addfile(dev)
EOF
check "docker cp - uploads symlinks and devices with xattrs" \
	docker cp - target:/tmp <"$TMP/xattrs.tar"
id=$(docker inspect -f '{{.Id}}' target)
rootfs=$DATA_ROOT/containers/$id/rootfs
xattr() { "$PYTHON" -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.berth", follow_symlinks=False).decode())' "$1" 2>&1; }
check_eq "the symlink carries its xattr" "on-the-link" "$(xattr "$rootfs/tmp/dst/link")"
check_eq "the device node carries its xattr" "on-the-device" "$(xattr "$rootfs/tmp/dst/null")"
check_eq "the symlink was not followed" "nowhere" "$(readlink "$rootfs/tmp/dst/link")"

# ---- owner names in docker cp tars -------------------------------------------------------------
docker exec target sh -c 'echo x >/tmp/owned && chown app:staff /tmp/owned && mkdir -p /tmp/n && chown 4321:4321 /tmp/n'
names() {
	"$PYTHON" -c 'import sys, tarfile
for m in tarfile.open(fileobj=sys.stdin.buffer, mode="r|"):
    print("%s %s:%s %s/%s" % (m.name, m.uid, m.gid, m.uname or "-", m.gname or "-"))'
}
check_eq "docker cp CONTAINER:PATH - names the owner as the container does" \
	"owned 1000:50 app/staff" "$(docker cp target:/tmp/owned - | names)"
check_eq "ids the container has no name for stay unnamed" "n 4321:4321 -/-" \
	"$(docker cp target:/tmp/n - | names)"
check_contains "root is root" "passwd 0:0 root/root" "$(docker cp target:/etc/passwd - | names)"

finish
