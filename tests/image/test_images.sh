#!/usr/bin/env bash
# The image commands of the berth CLI, local mode: bootstrap, list, inspect, tag, history, rmi,
# prune, save/load round trips, import with --change, shared layers stored once, and bad input
# that must leave the store as it was.
source "$(dirname "$0")/../lib.sh"

BERTH=$BERTH_BIN/berth
STATE=$TMP/images
b() { "$BERTH" --root "$STATE" "$@"; }
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"

# ---- bootstrap and listing ------------------------------------------------------------------
out=$(b image bootstrap busybox 2>&1)
check_contains "bootstrap busybox reports the tag" "Bootstrapped busybox:latest" "$out"
id=$(b image inspect --format '{{.Id}}' busybox)
check "image ID is the config digest" bash -c "[[ '$id' =~ ^sha256:[0-9a-f]{64}$ ]]"
config_blob=$STATE/content/blobs/sha256/${id#sha256:}
check_eq "config blob hashes to the image ID" "${id#sha256:}" "$(sha256sum "$config_blob" | cut -d' ' -f1)"

# A second bootstrap of the same binary makes the very same image (reproducible).
rm -rf "$TMP/other"
"$BERTH" --root "$TMP/other" image bootstrap busybox >/dev/null
check_eq "bootstrap is reproducible" "$id" "$("$BERTH" --root "$TMP/other" image inspect --format '{{.Id}}' busybox)"

table=$(b images)
check_eq "images header like docker's" "REPOSITORY   TAG       IMAGE ID       CREATED        SIZE" "$(head -1 <<<"$table")"
check_contains "images lists busybox" "busybox      latest    ${id:7:12}" "$table"
json=$(b images --format json)
check_eq "images --format json: repository" "busybox" "$($PYTHON -c 'import json,sys; print(json.loads(sys.stdin.readline())["Repository"])' <<<"$json")"
check_eq "images -q prints the short ID" "${id:7:12}" "$(b images -q)"
check_eq "images --format template" "busybox:latest" "$(b images --format '{{.Repository}}:{{.Tag}}')"

# ---- tags, inspect, history -------------------------------------------------------------------
check "tag busybox as localhost:5000/tools/bb:1.0" b tag busybox localhost:5000/tools/bb:1.0
check_eq "the tag resolves to the same ID" "$id" "$(b image inspect --format '{{.Id}}' localhost:5000/tools/bb:1.0)"
check_eq "a short ID prefix resolves" "$id" "$(b image inspect --format '{{.Id}}' "${id:7:8}")"
check_eq "docker.io/library/busybox:latest is the same name" "$id" \
	"$(b image inspect --format '{{.Id}}' docker.io/library/busybox:latest)"
tags=$(b image inspect --format '{{join .RepoTags ","}}' busybox)
check_eq "RepoTags lists both names" "busybox:latest,localhost:5000/tools/bb:1.0" "$tags"
check_eq "inspect Config.Cmd" '["sh"]' "$(b image inspect --format '{{json .Config.Cmd}}' busybox)"
hist=$(b history busybox)
check_contains "history header" "IMAGE          CREATED" "$hist"
check_contains "history names how the layer was made" "berth image bootstrap busybox" "$hist"

out=$(b image inspect nosuchimage 2>&1)
rc=$?
check_eq "inspect of a missing image exits 1" 1 "$rc"
check_contains "and says so" "No such image: nosuchimage" "$out"
out=$(b tag busybox 'Bad:Name' 2>&1)
check_contains "tag with uppercase repository is refused" "invalid reference format" "$out"

# ---- rmi -----------------------------------------------------------------------------------
out=$(b rmi "${id:7:12}" 2>&1)
check_contains "rmi by ID of a twice-tagged image needs -f" "must be forced" "$out"
out=$(b rmi localhost:5000/tools/bb:1.0)
check_eq "rmi of one of two tags only untags" "Untagged: localhost:5000/tools/bb:1.0" "$out"
check_eq "the image is still there" "$id" "$(b image inspect --format '{{.Id}}' busybox)"

# ---- save / load round trip ----------------------------------------------------------------------
check "save -o" b save -o "$TMP/busybox.tar" busybox
check "the archive has manifest.json and index.json" bash -c "tar tf '$TMP/busybox.tar' | grep -qx manifest.json && tar tf '$TMP/busybox.tar' | grep -qx index.json"
b save busybox >"$TMP/stdout.tar"
check "save to stdout gives the same archive" cmp "$TMP/busybox.tar" "$TMP/stdout.tar"
out=$("$BERTH" --root "$TMP/fresh" load -i "$TMP/busybox.tar")
check_eq "load into a fresh store" "Loaded image: busybox:latest" "$out"
check_eq "same image ID after the round trip" "$id" "$("$BERTH" --root "$TMP/fresh" image inspect --format '{{.Id}}' busybox)"
out=$("$BERTH" --root "$TMP/fresh" load <"$TMP/busybox.tar")
check_eq "loading it again from stdin is harmless" "Loaded image: busybox:latest" "$out"
check "verify finds every blob intact" "$BERTH" --root "$TMP/fresh" image verify

# ---- import with --change, shared layers stored once ----------------------------------------------
mkdir -p "$TMP/mnt"
b image mount busybox "$TMP/mnt"
tar -C "$TMP/mnt" -cf "$TMP/rootfs.tar" .
b image umount "$TMP/mnt"
imported=$(b import -c 'CMD ["echo", "hi"]' -c 'ENV GREETING=hello' -c 'WORKDIR /srv' "$TMP/rootfs.tar" app:1)
check "import prints the new image ID" bash -c "[[ '$imported' =~ ^sha256:[0-9a-f]{64}$ ]]"
check_eq "--change CMD" '["echo","hi"]' "$(b image inspect --format '{{json .Config.Cmd}}' app:1)"
check_eq "--change ENV" '["GREETING=hello"]' "$(b image inspect --format '{{json .Config.Env}}' app:1)"
check_eq "--change WORKDIR" "/srv" "$(b image inspect --format '{{.Config.WorkingDir}}' app:1)"
layers_before=$(entries "$STATE/snapshots/layers")
blobs_before=$(entries "$STATE/content/blobs/sha256")
du_before=$(du -sk --exclude=metadata.db\* "$STATE" | cut -f1)
b import -c 'CMD ["true"]' "$TMP/rootfs.tar" app:2 >/dev/null
du_after=$(du -sk --exclude=metadata.db\* "$STATE" | cut -f1)
echo "# store: ${du_before} KiB with one image of a $(du -k "$TMP/rootfs.tar" | cut -f1) KiB layer, ${du_after} KiB with two sharing it"
check "a second image sharing the layer adds under 64 KiB on disk" test $((du_after - du_before)) -lt 64
check_eq "a second image with the same layer adds no layer directory" "$layers_before" "$(entries "$STATE/snapshots/layers")"
check_eq "and only its config and manifest blobs" "$((blobs_before + 2))" "$(entries "$STATE/content/blobs/sha256")"
before=$(b images -q | sort)
out=$(b import -c 'RUN rm -rf /' "$TMP/rootfs.tar" app:3 2>&1)
check_contains "a bad --change is refused" "RUN is not a valid change command" "$out"
check_eq "and nothing was added" "$before" "$(b images -q | sort)"
check_eq "not even a blob" "$((blobs_before + 2))" "$(entries "$STATE/content/blobs/sha256")"

# ---- bad archives leave the store alone ----------------------------------------------------------
echo "not a tar" >"$TMP/garbage.tar"
out=$(b load -i "$TMP/garbage.tar" 2>&1)
check_ne "loading garbage fails" 0 "$?"
check_eq "with one line of error" 1 "$(wc -l <<<"$out")"
mkdir -p "$TMP/noimage" && echo hi >"$TMP/noimage/hello.txt"
tar -C "$TMP/noimage" -cf "$TMP/noimage.tar" .
out=$(b load -i "$TMP/noimage.tar" 2>&1)
check_contains "a tar without an image is named as such" "not an image archive" "$out"
# A docker-save archive whose layer does not match the config's diffID.
mkdir -p "$TMP/bad" && tar -C "$TMP/bad" -xf "$TMP/busybox.tar"
mkdir -p "$TMP/bad/legacy"
tar -C "$TMP/noimage" -cf "$TMP/bad/legacy/layer.tar" .
# docker's older layout: layers by path; this one is not the layer the config lists.
$PYTHON - "$TMP/bad" <<'PY'
import json, os, sys
root = sys.argv[1]
path = os.path.join(root, "manifest.json")
manifest = json.load(open(path))
manifest[0]["Layers"] = ["legacy/layer.tar"]
json.dump(manifest, open(path, "w"))
PY
tar -C "$TMP/bad" -cf "$TMP/bad.tar" manifest.json blobs legacy
out=$("$BERTH" --root "$TMP/fresh2" load -i "$TMP/bad.tar" 2>&1)
check_contains "a layer that does not match its diffID is refused" "image config says" "$out"
check_eq "no image is visible after the refused load" "" "$("$BERTH" --root "$TMP/fresh2" images -q)"
check_eq "and no layer was kept" 0 "$(entries "$TMP/fresh2/snapshots/layers")"

# ---- prune --------------------------------------------------------------------------------------------
b rmi app:1 >/dev/null
out=$(b image prune -a -f)
check_contains "prune -a reports reclaimed space" "Total reclaimed space:" "$out"
check_eq "prune -a leaves no image" "" "$(b images -q)"
check_eq "and no layer" 0 "$(entries "$STATE/snapshots/layers")"
check_eq "and no blob" 0 "$(entries "$STATE/content/blobs/sha256")"

finish
