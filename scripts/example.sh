#!/usr/bin/env bash
# The example of `make up`: a busybox container run by the installed berth-runtime, made from the
# host's busybox-static (no network, no image registry needed).
set -euo pipefail

runtime=${BERTH_RUNTIME:-/usr/local/bin/berth-runtime}
bundle=/var/lib/berth/example
repo=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -d "$bundle/rootfs" ]; then
    mkdir -p "$(dirname "$bundle")"
    "$repo/tests/fixture/make-bundle.sh" "$bundle" >/dev/null
fi
# The container greets from inside its own namespaces.
python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["hostname"] = "berth-example"
config["process"]["args"] = ["sh", "-c",
    'echo "hello from $(hostname): pid $$, user $(id -u), $(ls /proc | grep -c "^[0-9]") process(es) in sight";'
    ' echo "kernel $(uname -r), network: $(ls /sys/class/net | tr "\\n" " ")"']
json.dump(config, open(path, "w"), indent=2)
PY

echo "\$ $runtime run --bundle $bundle example-$$"
"$runtime" --root /run/berth-runtime run --bundle "$bundle" "example-$$"
