#!/usr/bin/env bash
# The example of `make up`: berth makes a busybox image from the host's busybox-static (no
# network, no registry), starts berthd if none answers on /run/berth/berth.sock, lists the image
# and runs a container through the daemon, the way one uses docker.
set -euo pipefail

bin=${BERTH_PREFIX:-/usr/local}/bin
berth=$bin/berth
sock=/run/berth/berth.sock
export BERTH_HOST=unix://$sock

if ! "$berth" version >/dev/null 2>&1; then
    echo "\$ berthd &   (log: /var/log/berthd.log)"
    nohup "$bin/berthd" >>/var/log/berthd.log 2>&1 &
    for _ in $(seq 1 100); do
        "$berth" version >/dev/null 2>&1 && break
        sleep 0.1
    done
    "$berth" version >/dev/null
fi
if ! "$berth" image inspect busybox >/dev/null 2>&1; then
    # Bootstrap writes the store directly (its image ID is reproducible); berthd shares it.
    echo "\$ berth --root /var/lib/berth image bootstrap busybox"
    "$berth" --root /var/lib/berth image bootstrap busybox
fi
echo "\$ berth images"
"$berth" images
echo "\$ berth run --rm --network none --hostname berth-example busybox sh -c '…'"
"$berth" run --rm --network none --hostname berth-example busybox sh -c \
    'echo "hello from $(hostname): pid $$, user $(id -u), $(ls /proc | grep -c "^[0-9]") process(es) in sight"; echo "kernel $(uname -r), network: $(ls /sys/class/net | tr "\n" " ")"'
echo "\$ berth ps -a"
"$berth" ps -a
