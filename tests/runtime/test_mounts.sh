#!/bin/bash
# Mounts: tmpfs and bind mounts with options, flags, masked and read-only paths, a read-only
# root, default and configured devices, and rootfs symlinks that try to point mounts at the host.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1

# mount_line DIR DEST — the /proc/mounts line for DEST inside a container of bundle DIR.
mount_line() {
	run_in "$1" awk -v d="$2" '$2 == d' /proc/mounts
}

# ---- tmpfs with options ----
M=$TMP/bundle-tmpfs
copy_bundle "$B" "$M"
edit_config "$M" 'c["mounts"].append({"destination": "/mnt/scratch", "type": "tmpfs", "source": "tmpfs",
    "options": ["size=1m", "mode=0710", "nosuid", "nodev", "noexec"]})'
line=$(mount_line "$M" /mnt/scratch)
check_match "tmpfs is mounted at a destination missing from the rootfs" '^tmpfs /mnt/scratch tmpfs ' "$line"
check_contains "tmpfs size option is applied" "size=1024k" "$line"
check_contains "tmpfs mode option is applied" "mode=710" "$line"
check_match "nosuid appears in /proc/mounts" '[ ,]nosuid[ ,]' "$line"
check_match "nodev appears in /proc/mounts" '[ ,]nodev[ ,]' "$line"
check_match "noexec appears in /proc/mounts" '[ ,]noexec[ ,]' "$line"
if runc_before 1.2; then
	# runc < 1.2 chmods the mount point back to the directory's mode after mounting.
	skip "tmpfs root directory has the mode" "runc 1.1.5 overrides tmpfs mode= with the dir's mode (fixed in 1.2)"
else
	check_eq "tmpfs root directory has the mode" 710 "$(run_in "$M" stat -c %a /mnt/scratch)"
fi
check "tmpfs is writable" run_in "$M" sh -c 'echo hi > /mnt/scratch/f && cat /mnt/scratch/f'
# noexec really stops execution.
out=$(run_in "$M" sh -c 'cp /bin/busybox /mnt/scratch/bb && /mnt/scratch/bb true && echo EXECUTED')
check_not_contains "a binary on a noexec mount does not run" EXECUTED "$out"
check_match "/dev/shm keeps its options" '^shm /dev/shm tmpfs rw,nosuid,nodev,noexec' \
	"$(mount_line "$M" /dev/shm)"
check_match "/sys is mounted read-only" '^sysfs /sys sysfs ro,' "$(mount_line "$M" /sys)"

# ---- bind mounts ----
HOSTDIR=$TMP/hostdir
mkdir -p "$HOSTDIR"
echo from-host >"$HOSTDIR/hello"
echo host-file >"$TMP/hostfile"
M=$TMP/bundle-bind
copy_bundle "$B" "$M"
edit_config "$M" '
c["mounts"].append({"destination": "/data", "type": "bind", "source": argv[0], "options": ["rbind", "rw"]})
c["mounts"].append({"destination": "/etc/hostfile", "type": "bind", "source": argv[1], "options": ["bind", "ro"]})
' "$HOSTDIR" "$TMP/hostfile"
check_eq "bind-mounted host dir is readable" from-host "$(run_in "$M" cat /data/hello)"
check "rw bind mount accepts writes" run_in "$M" sh -c 'echo from-container > /data/written'
check_eq "a write through a rw bind mount reaches the host" from-container "$(cat "$HOSTDIR/written" 2>/dev/null)"
check_eq "a bind-mounted file is readable" host-file "$(run_in "$M" cat /etc/hostfile)"
check_fails "a ro bind-mounted file refuses writes" run_in "$M" sh -c 'echo x > /etc/hostfile'
check_eq "the ro bind-mounted file is unchanged on the host" host-file "$(cat "$TMP/hostfile")"

M=$TMP/bundle-bindro
copy_bundle "$B" "$M"
edit_config "$M" '
c["mounts"].append({"destination": "/data", "type": "bind", "source": argv[0], "options": ["rbind", "ro"]})
' "$HOSTDIR"
check_eq "ro bind mount is readable" from-host "$(run_in "$M" cat /data/hello)"
check_fails "ro bind mount refuses writes" run_in "$M" touch /data/new-file
check "nothing was written to the host dir through the ro mount" test ! -e "$HOSTDIR/new-file"
check_match "ro bind mount is ro in /proc/mounts" '^[^ ]+ /data [^ ]+ ro[ ,]' "$(mount_line "$M" /data)"
check "the host dir itself stays writable" touch "$HOSTDIR/host-still-rw"

# ---- masked and read-only paths ----
# /proc/kcore when the kernel has it, else another masked file that exists on this host.
masked=
for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
	[ -e "$f" ] && masked=$f && break
done
if [ -n "$masked" ]; then
	out=$(run_in "$B" sh -c "wc -c < $masked; stat -c %t:%T $masked")
	check_eq "masked file $masked reads empty and is /dev/null (1:3)" "0 1:3" "$(words "$out")"
else
	skip "masked file reads empty" "none of the masked /proc files exists on this kernel"
fi
check_eq "masked dir /sys/firmware is empty" "" "$(run_in "$B" ls -A /sys/firmware)"
check_match "/proc/sys is mounted read-only" '^[^ ]+ /proc/sys [^ ]+ ro[ ,]' "$(mount_line "$B" /proc/sys)"
# With CAP_SYS_ADMIN sethostname works, yet writing the same setting through /proc/sys fails.
M=$TMP/bundle-sysadmin
copy_bundle "$B" "$M"
edit_config "$M" '
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k].append("CAP_SYS_ADMIN")'
check "sethostname works with CAP_SYS_ADMIN" run_in "$M" hostname via-syscall
check_fails "writing read-only path /proc/sys fails even with CAP_SYS_ADMIN" \
	run_in "$M" sh -c 'echo via-proc > /proc/sys/kernel/hostname'
check_fails "writing read-only path /proc/sysrq-trigger fails" \
	run_in "$M" sh -c 'echo h > /proc/sysrq-trigger'

# ---- root.readonly ----
M=$TMP/bundle-ro
copy_bundle "$B" "$M"
edit_config "$M" 'c["root"]["readonly"] = True'
check_fails "root.readonly: touch /x fails" run_in "$M" touch /x
check "root.readonly: nothing was created in the rootfs" test ! -e "$M/rootfs/x"
check_match "root.readonly: / is ro in /proc/mounts" '^[^ ]+ / [^ ]+ ro[ ,]' "$(mount_line "$M" /)"
check "root.readonly: /dev (tmpfs) stays writable" run_in "$M" touch /dev/ok
check "root.readonly: false lets the container write /" run_in "$B" touch /x

# ---- default devices ----
out=$(run_in "$B" sh -c '
for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done')
for want in "null 1:3" "zero 1:5" "full 1:7" "random 1:8" "urandom 1:9" "tty 5:0"; do
	dev=${want%% *}
	check_contains "default device /dev/$dev is a char device ${want#* }" \
		"$dev character special file ${want#* }" "$out"
done
check "/dev/ptmx exists" run_in "$B" test -e /dev/ptmx
check "/dev/pts is a devpts mount" run_in "$B" sh -c 'awk "\$2 == \"/dev/pts\" && \$3 == \"devpts\"" /proc/mounts | grep -q .'
out=$(run_in "$B" sh -c 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done')
check_contains "/dev/fd links to /proc/self/fd" "fd -> /proc/self/fd" "$out"
check_contains "/dev/stdin links to /proc/self/fd/0" "stdin -> /proc/self/fd/0" "$out"
check_contains "/dev/stdout links to /proc/self/fd/1" "stdout -> /proc/self/fd/1" "$out"
check_contains "/dev/stderr links to /proc/self/fd/2" "stderr -> /proc/self/fd/2" "$out"
check_eq "/dev/zero reads zeros" "4" "$(run_in "$B" sh -c 'head -c 4 /dev/zero | wc -c')"
check "/dev/null accepts writes" run_in "$B" sh -c 'echo x > /dev/null'
check_fails "/dev/full refuses writes" run_in "$B" sh -c 'echo x > /dev/full'
check_eq "/dev/urandom reads" 16 "$(run_in "$B" sh -c 'head -c 16 /dev/urandom | wc -c')"
check_eq "host devices are not in /dev (no /dev/vda, /dev/mem)" "" \
	"$(run_in "$B" sh -c 'ls /dev/mem /dev/kmsg /dev/vda 2>/dev/null')"

# ---- linux.devices ----
M=$TMP/bundle-devices
copy_bundle "$B" "$M"
edit_config "$M" 'c["linux"]["devices"] = [
    {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 0, "gid": 5}]'
check_eq "linux.devices entry is created with its type, numbers, mode and owner" \
	"character special file 1:3 640 0:5" "$(run_in "$M" stat -c '%F %t:%T %a %u:%g' /dev/mynull)"

# ---- malicious rootfs: symlinks that point mounts at the host ----
# A runtime must resolve mount destinations inside the rootfs. Whatever it does (fail or confine
# the mount), nothing may be created or mounted on the host.
TARGET=/tmp/berth-escape-target-$$
mkdir -p "$TARGET"
on_exit "umount -l $TARGET 2>/dev/null; rm -rf $TARGET"

# host_mounts — host mount points under $TMP, $TARGET or at /proc-like paths we could disturb.
host_mounts() {
	awk -v t="$TMP" -v g="$TARGET" 'index($5, t) == 1 || index($5, g) == 1 { print $5, $9 }' /proc/self/mountinfo
}
host_fs_type() {
	awk -v m="$1" '$5 == m { t = $9 } END { print t }' /proc/self/mountinfo
}
before_mounts=$(host_mounts)
before_root_type=$(host_fs_type /)
before_tmp_type=$(host_fs_type /tmp)

# assert_host_untouched WHAT
assert_host_untouched() {
	check_eq "$1: host target dir is still empty" "" "$(ls -A "$TARGET" 2>&1)"
	check_fails "$1: host target dir is not a mount point" mountpoint -q "$TARGET"
	check_eq "$1: no mount appeared on the host under the bundle or target" "$before_mounts" "$(host_mounts)"
	check_eq "$1: host / keeps its filesystem" "$before_root_type" "$(host_fs_type /)"
	check_eq "$1: host /tmp keeps its filesystem" "$before_tmp_type" "$(host_fs_type /tmp)"
}

# 1. /proc in the rootfs is a symlink to / (absolute) and to ../../.. (relative).
for link in / ../../..; do
	M=$TMP/bundle-evilproc-${#link}
	copy_bundle "$B" "$M"
	rmdir "$M/rootfs/proc"
	ln -s "$link" "$M/rootfs/proc"
	out=$(run_in "$M" sh -c 'cat /proc/self/mounts | head -n 3')
	echo "# rootfs/proc -> $link: exit $?: $(words "$out" | head -c 200)"
	assert_host_untouched "rootfs/proc -> $link"
done

# 2. Mount destinations that go through a symlink to an absolute host path, and a relative one
#    that climbs out with ../; the mounts need their destinations (dirs and a file) created.
M=$TMP/bundle-evilmount
copy_bundle "$B" "$M"
ln -s "$TARGET" "$M/rootfs/abs-escape"
ln -s "../../../../../../../../../..$TARGET" "$M/rootfs/rel-escape"
mkdir -p "$M/rootfs/sub"
ln -s "$TARGET" "$M/rootfs/sub/nested-escape"
edit_config "$M" '
c["mounts"] += [
    {"destination": "/abs-escape/tmpfs/deeper", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
    {"destination": "/abs-escape/bound-file", "type": "bind", "source": argv[0], "options": ["bind"]},
    {"destination": "/rel-escape/rel-dir", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
    {"destination": "/sub/nested-escape/nested-dir", "type": "bind", "source": argv[1], "options": ["rbind"]},
    {"destination": "/../../../../../.." + argv[2] + "/dotdot-dir", "type": "tmpfs", "source": "tmpfs"},
]' "$TMP/hostfile" "$HOSTDIR" "$TARGET"
out=$(run_in "$M" sh -c 'touch /abs-escape/tmpfs/deeper/pwned /rel-escape/rel-dir/pwned; echo done')
echo "# mounts through escaping symlinks: exit $?: $(words "$out" | head -c 200)"
assert_host_untouched "mount destinations through symlinks"

# 3. The process itself writes through a symlink to the host path (must stay in the rootfs).
M=$TMP/bundle-evilwrite
copy_bundle "$B" "$M"
ln -s "$TARGET" "$M/rootfs/abs-link"
run_in "$M" sh -c 'touch /abs-link/pwned' >/dev/null
assert_host_untouched "container writes through an absolute symlink"

finish
