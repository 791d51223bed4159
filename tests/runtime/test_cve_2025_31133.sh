#!/bin/bash
# CVE-2025-31133: masked paths are made by binding the container's /dev/null over them. If that
# /dev/null is not the null device (an image's symlink or file where /dev comes from the image or
# a bind mount, or something racing the runtime on a shared /dev), the "mask" would bind some
# other file over the path: a secret of the container, or a writable /proc file in place of an
# unreadable one. The runtime must use /dev/null only when it is the character device 1:3,
# opened without following a symlink, and refuse otherwise; likewise /dev/console, over which
# the terminal is bound, must not be a symlink.
#
# The container's /dev is a bind of a host directory the test controls. Its null is a symlink
# to a secret file of the rootfs, a file, another device, the null device (the masked file then
# reads empty), and finally flips between the null device and a symlink (rename) or gets a file
# bound over it (mount --bind) while containers start, over and over: the secret must never show
# through the masked file.
source "$(dirname "$0")/../lib.sh"
require_root
if runc_before 1.2.8; then
	skip_all "runc before 1.2.8 binds whatever /dev/null is (CVE-2025-31133)"
fi

B=$TMP/bundle
make_bundle "$B" || exit 1
echo "SECRET of the container" >"$B/rootfs/secret"
echo "private" >"$B/rootfs/masked"
DEV=$TMP/dev
mkdir -p "$DEV"
ln -s pts/ptmx "$DEV/ptmx"
edit_config "$B" '
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/dev"]
c["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": argv[0], "options": ["rbind", "rw"]})
c["linux"]["maskedPaths"].append("/masked")
c["process"]["args"] = ["sh", "-c", "head -c 64 /masked; echo; echo done"]' "$DEV"

# null_is KIND — makes $DEV/null a symlink, a file, another device or the null device.
null_is() {
	rm -f "$DEV/null"
	case $1 in
	symlink) ln -s /secret "$DEV/null" ;;
	file) echo "SECRET of the file" >"$DEV/null" ;;
	zero) mknod -m 666 "$DEV/null" c 1 5 ;;
	null) mknod -m 666 "$DEV/null" c 1 3 ;;
	esac
}

run_masked() {
	rt run --bundle "$B" "$(cid "run-$((++runs))")" </dev/null 2>&1
}
runs=0

declare -A what=([symlink]="a symlink" [file]="a file" [zero]="another device (1:5)")
for kind in symlink file zero; do
	null_is "$kind"
	out=$(run_masked)
	rc=$?
	check_ne "/dev/null is ${what[$kind]}: run fails" 0 "$rc"
	check_contains "... saying that /dev/null is not the null device" "not the null device" "$out"
	check_not_contains "... and the masked file never shows the secret" SECRET "$out"
done
null_is null
out=$(run_masked)
check_eq "/dev/null is the null device: the masked file reads empty" "$(printf '\ndone')" "$out"

# /dev/console, where the terminal is bound, as a symlink.
ln -s /secret "$DEV/console"
edit_config "$B" 'c["process"]["terminal"] = True'
out=$(run_masked)
check_ne "/dev/console is a symlink: run with a terminal fails" 0 "$?"
check_contains "... naming /dev/console" "/dev/console" "$out"
rm -f "$DEV/console"
out=$(run_masked)
check_contains "/dev/console missing: run with a terminal works" "done" "$out"
edit_config "$B" 'c["process"]["terminal"] = False'

# Races: /dev/null flips between the null device and a symlink, or a file is bound over it,
# while containers start.
mknod -m 666 "$TMP/null-node" c 1 3
ln -s /secret "$TMP/null-link"
flip() {
	while [ ! -e "$TMP/stop-race" ]; do
		cp -a "$TMP/null-link" "$DEV/null.new" && mv -f "$DEV/null.new" "$DEV/null"
		cp -a "$TMP/null-node" "$DEV/null.new" && mv -f "$DEV/null.new" "$DEV/null"
	done
}
echo "SECRET of a bind mount" >"$TMP/bound-secret"
bind_over() {
	while [ ! -e "$TMP/stop-race" ]; do
		mount --bind "$TMP/bound-secret" "$DEV/null" 2>/dev/null
		umount "$DEV/null" 2>/dev/null
	done
}
on_exit 'touch "$TMP/stop-race"; wait'
for racer in flip bind_over; do
	null_is null
	rm -f "$TMP/stop-race"
	$racer &
	racer_pid=$!
	leaked="" refused=0 masked=0
	for _ in $(seq 1 30); do
		out=$(run_masked)
		if [[ $out == *SECRET* ]]; then
			leaked=$out
		elif [[ $out == *"not the null device"* ]]; then
			refused=$((refused + 1))
		elif [[ $out == *"berth-runtime: mask /masked: no such file or directory"* ]]; then
			# The null device was renamed away between its check and the bind mount: the kernel
			# refuses to bind an unlinked file, so the container does not start. Refused too.
			refused=$((refused + 1))
		elif [ "$out" = "$(printf '\ndone')" ]; then
			masked=$((masked + 1))
		else
			leaked="unexpected: $out"
		fi
	done
	touch "$TMP/stop-race"
	wait "$racer_pid"
	umount "$DEV/null" 2>/dev/null
	echo "# $racer: $refused refused, $masked masked with the null device"
	check_eq "racing /dev/null ($racer): the masked file never shows anything but nothing" "" "$leaked"
done

finish
