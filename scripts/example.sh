#!/usr/bin/env bash
# The example of `make up`: berth makes a busybox image from the host's busybox-static (no
# network, no registry), lists it, and berth-runtime runs a container on that image's root file
# system (a read-only overlay of its layers).
set -euo pipefail

berth=${BERTH:-/usr/local/bin/berth}
runtime=${BERTH_RUNTIME:-/usr/local/bin/berth-runtime}
repo=$(cd "$(dirname "$0")/.." && pwd)
bundle=/var/lib/berth/example

if ! "$berth" image inspect busybox >/dev/null 2>&1; then
    echo "\$ berth image bootstrap busybox"
    "$berth" image bootstrap busybox
fi
echo "\$ berth images"
"$berth" images

# A bundle whose rootfs is the image, mounted read-only; the config comes from the fixture.
mkdir -p "$bundle"
"$repo/tests/fixture/make-bundle.sh" "$bundle.tmp" >/dev/null
mv "$bundle.tmp/config.json" "$bundle/config.json"
rm -rf "$bundle.tmp"
mkdir -p "$bundle/rootfs"
mountpoint -q "$bundle/rootfs" && umount "$bundle/rootfs"
"$berth" image mount busybox "$bundle/rootfs"
trap 'umount "$bundle/rootfs" 2>/dev/null || true' EXIT

# The container greets from inside its own namespaces.
python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["hostname"] = "berth-example"
config["root"]["readonly"] = True
config["process"]["args"] = ["sh", "-c",
    'echo "hello from $(hostname): pid $$, user $(id -u), $(ls /proc | grep -c "^[0-9]") process(es) in sight";'
    ' echo "kernel $(uname -r), network: $(ls /sys/class/net | tr "\\n" " ")"']
json.dump(config, open(path, "w"), indent=2)
PY

echo "\$ $runtime run --bundle $bundle example-$$"
"$runtime" --root /run/berth-runtime run --bundle "$bundle" "example-$$"
