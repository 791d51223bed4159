#!/usr/bin/env bash
# Debian's python3-docker (the Docker SDK for Python) against berthd: containers.run (output and
# detached), logs(stream=True), exec_run, list, remove — unchanged SDK code, as a user writes it.
source "$(dirname "$0")/../lib.sh"
require_root
source "$(dirname "$0")/berthd_lib.sh"
"$PYTHON" -c 'import docker' 2>/dev/null || skip_all "python3-docker is not installed"

start_berthd
import_busybox

out=$("$PYTHON" - "$SOCK" <<'PY' 2>&1
import sys, docker
client = docker.DockerClient(base_url="unix://" + sys.argv[1])
print("ping", client.ping())
print("run", client.containers.run("busybox", ["echo", "hello sdk"], remove=True).decode().strip())
c = client.containers.run("busybox", ["sh", "-c", "for i in 1 2 3; do echo line $i; done; sleep 60"],
                          detach=True, name="sdk", labels={"via": "sdk"})
lines = []
for chunk in c.logs(stream=True, follow=True):
    lines.append(chunk.decode().strip())
    if len(lines) == 3:
        break
print("logs", ",".join(lines))
code, output = c.exec_run(["sh", "-c", "echo exec ok; exit 4"])
print("exec", code, output.decode().strip())
print("list", [x.name for x in client.containers.list(filters={"label": "via=sdk"})])
c.reload()
print("status", c.status)
c.remove(force=True)
print("after", [x.name for x in client.containers.list(all=True)])
try:
    client.containers.get("sdk")
except docker.errors.NotFound:
    print("notfound ok")
PY
)
printf '%s\n' "$out" | sed 's/^/# /'
check_contains "client.ping()" "ping True" "$out"
check_contains "containers.run(remove=True) returns the output" "run hello sdk" "$out"
check_contains "logs(stream=True, follow=True)" "logs line 1,line 2,line 3" "$out"
check_contains "exec_run: exit code and output" "exec 4 exec ok" "$out"
check_contains "containers.list(filters=label)" "list ['sdk']" "$out"
check_contains "reload: status running" "status running" "$out"
check_contains "remove(force=True)" "after []" "$out"
check_contains "containers.get of a removed container: NotFound (404)" "notfound ok" "$out"
finish
