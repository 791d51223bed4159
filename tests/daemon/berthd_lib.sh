# shellcheck shell=bash
# berthd_lib.sh — sourced by daemon tests after ../lib.sh: a private berthd (own root, exec root
# and socket under $TMP), the docker CLI pointed at it, a busybox image, and a cleanup that
# leaves no container, monitor or mount behind.
#
#   start_berthd            starts it (BERTHD_PID), fails the script if it does not answer;
#                           $BERTHD_CONFIG names its daemon.json (default: none)
#   import_busybox [NAME]   a busybox image (default busybox:latest) imported through the API
#   stop_berthd [SIGNAL]    stops it (default TERM) and waits for it
#   docker ARGS…            the docker CLI against it, killed after 120 s

DOCKER_BIN=${DOCKER:-$(command -v docker)}
[ -x "$DOCKER_BIN" ] || skip_all "the docker CLI is not installed"
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"
# shellcheck disable=SC2034  # for the tests that source this file
BERTH=$BERTH_BIN/berth
BERTHD=$BERTH_BIN/berthd
SOCK=$TMP/berth.sock
DATA_ROOT=$TMP/root
EXEC_ROOT=$TMP/run

# Only this daemon: no context, TLS or credential helpers from the caller's configuration.
export DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$TMP/docker-config
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
mkdir -p "$DOCKER_CONFIG"
docker() { timeout -k 5 120 "$DOCKER_BIN" "$@"; }

start_berthd() {
	"$BERTHD" --config-file "${BERTHD_CONFIG:-/dev/null}" --root "$DATA_ROOT" --exec-root "$EXEC_ROOT" -H "unix://$SOCK" --debug \
		2>>"$TMP/berthd.log" &
	BERTHD_PID=$!
	if ! wait_until 20 docker version; then
		_not_ok "berthd answers docker version"
		_indent "$(tail -20 "$TMP/berthd.log")"
		finish
	fi
}

stop_berthd() {
	kill "-${1:-TERM}" "$BERTHD_PID" 2>/dev/null
	wait "$BERTHD_PID" 2>/dev/null
}

import_busybox() {
	local name=${1:-busybox:latest} rootfs=$TMP/busybox-rootfs
	if [ ! -d "$rootfs" ]; then
		mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
		cp /bin/busybox "$rootfs/bin/busybox"
		for applet in $(/bin/busybox --list); do
			[ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
		done
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n' \
			>"$rootfs/etc/passwd"
		printf 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nstaff:x:50:app\n' >"$rootfs/etc/group"
	fi
	tar -C "$rootfs" -c . | docker import --change 'CMD ["sh"]' - "$name" >/dev/null
}

_berthd_cleanup() {
	if [ -n "${BERTHD_PID:-}" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
		local -a ids
		mapfile -t ids < <(timeout 20 "$DOCKER_BIN" ps -aq 2>/dev/null)
		[ ${#ids[@]} -gt 0 ] && timeout 60 "$DOCKER_BIN" rm -f "${ids[@]}" >/dev/null 2>&1
		kill -TERM "$BERTHD_PID" 2>/dev/null
		wait "$BERTHD_PID" 2>/dev/null
	fi
	# Monitors outlive the daemon by design: any left (a test that killed berthd) go now.
	pkill -KILL -f "berth-monitor (container|exec) $EXEC_ROOT" 2>/dev/null
	grep -o " $TMP/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
	return 0
}
on_exit _berthd_cleanup
