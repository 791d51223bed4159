#!/usr/bin/env bash
# berthd's files keep secrets from other local users: after containers ran with secrets in Env
# (run, create, exec, an image's ENV through save and load) and printed them to their logs, no
# file under the data root or the exec root that holds one is readable by an unprivileged user,
# and nothing else there is world-readable that should not be. As dockerd: metadata 0600,
# container config 0600, logs 0640, container directories closed to others.
source "$(dirname "$0")/../lib.sh"

require_root
source "$(dirname "$0")/berthd_lib.sh"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"

start_berthd
import_busybox

RUN_SECRET=run-secret-$RANDOM$RANDOM
CREATE_SECRET=create-secret-$RANDOM$RANDOM
EXEC_SECRET=exec-secret-$RANDOM$RANDOM
IMAGE_SECRET=image-secret-$RANDOM$RANDOM
RM_SECRET=rm-secret-$RANDOM$RANDOM

docker run -d --name keeper -e "PASSWORD=$RUN_SECRET" busybox \
	sh -c 'echo "the password is $PASSWORD"; exec sleep 1000' >/dev/null
docker create --name created -e "TOKEN=$CREATE_SECRET" busybox true >/dev/null
# A detached exec still running: its configuration is on disk meanwhile.
docker exec -d -e "EXEC_TOKEN=$EXEC_SECRET" keeper sleep 1000
docker run --rm -e "RM_TOKEN=$RM_SECRET" busybox true
# An image whose config carries a secret, saved and loaded back.
docker commit --change "ENV IMAGE_TOKEN=$IMAGE_SECRET" created with-secret >/dev/null 2>&1 ||
	tar -C "$TMP/busybox-rootfs" -c . | docker import --change "ENV IMAGE_TOKEN=$IMAGE_SECRET" - with-secret >/dev/null
docker save with-secret -o "$TMP/with-secret.tar"
docker rmi with-secret >/dev/null
docker load -i "$TMP/with-secret.tar" >/dev/null
docker run -d --name from-image with-secret sleep 1000 >/dev/null
check "the log holds the run secret (what the walk must find)" \
	wait_until 10 grep -qr "$RUN_SECRET" "$DATA_ROOT/containers"

# readable_by_nobody FILE — an unprivileged user can open FILE for reading.
readable_by_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- cat "$1" >/dev/null 2>&1
}

for secret in "$RUN_SECRET" "$CREATE_SECRET" "$EXEC_SECRET" "$IMAGE_SECRET"; do
	holders=$(grep -rlF --devices=skip "$secret" "$DATA_ROOT" "$EXEC_ROOT" 2>/dev/null)
	check "${secret%-*} is on disk (so the check below means something)" test -n "$holders"
	exposed=""
	while IFS= read -r file; do
		[ -n "$file" ] && readable_by_nobody "$file" && exposed+="$file "
	done <<<"$holders"
	check_eq "no file holding the ${secret%-*} is readable by another user" "" "$exposed"
done

# Every file another user could read: allowed only where docker's are public too.
world_readable=$("$PYTHON" - "$DATA_ROOT" "$EXEC_ROOT" <<-'EOF'
	import os, stat, sys
	def open_to_others(path):
	    # every directory on the way searchable by others, the entry itself readable
	    parts = os.path.abspath(path).split("/")
	    for i in range(1, len(parts)):
	        d = "/".join(parts[:i]) or "/"
	        if not os.stat(d).st_mode & stat.S_IXOTH:
	            return False
	    mode = os.lstat(path).st_mode
	    return stat.S_ISLNK(mode) or bool(mode & stat.S_IROTH)
	for top in sys.argv[1:]:
	    for dirpath, dirnames, filenames in os.walk(top):
	        # a container's mounted root file system is the container's own business
	        dirnames[:] = [d for d in dirnames if not os.path.ismount(os.path.join(dirpath, d))]
	        for name in filenames + dirnames:
	            path = os.path.join(dirpath, name)
	            if open_to_others(path):
	                print(os.path.relpath(path, top))
EOF
)
allowed='^(engine-id|berthd\.pid)$'
unexpected=$(grep -vE "$allowed" <<<"$world_readable" | tr '\n' ' ')
check_eq "nothing else under the data and exec roots is open to other users" "" "$unexpected"

mode_of() { stat -c %a "$1"; }
check_eq "metadata.db is 0600" 600 "$(mode_of "$DATA_ROOT/metadata.db")"
for f in "$DATA_ROOT"/metadata.db-wal "$DATA_ROOT"/metadata.db-shm; do
	[ -e "$f" ] && check_eq "$(basename "$f") is 0600" 600 "$(mode_of "$f")"
done
id=$(docker inspect -f '{{.Id}}' keeper)
check_eq "the data root is 0711, as dockerd's" 711 "$(mode_of "$DATA_ROOT")"
check_eq "a container's config.json is 0600" 600 "$(mode_of "$DATA_ROOT/containers/$id/config.json")"
check_eq "a container's log is 0640" 640 "$(mode_of "$DATA_ROOT/containers/$id/$id-json.log")"
check "a container's directory is closed to others" \
	test "$(($(stat -c '0%a' "$DATA_ROOT/containers/$id") & 07))" -eq 0
# Containers running as another user still work (their root is a mount, not these paths).
check_eq "a container running as a non-root user still reads its files" "app" \
	"$(docker run --rm -u 1000 busybox sh -c 'cat /etc/hostname >/dev/null && grep -o "^app" /etc/passwd')"

finish
