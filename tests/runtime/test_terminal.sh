#!/bin/bash
# terminal: true with --console-socket: the runtime sends the pty master over the unix socket
# (SCM_RIGHTS); the container's stdio is the pty slave.
source "$(dirname "$0")/../lib.sh"
require_root

B=$TMP/bundle
make_bundle "$B" || exit 1
edit_config "$B" 'c["process"]["terminal"] = True'

# receiver.py SOCKET OUT [INPUT] — accepts one connection on SOCKET, takes the pty master from
# SCM_RIGHTS, optionally writes INPUT to it, and copies everything read from it to OUT until the
# container closes its side (EIO) or 20s pass. Writes OUT.fd with "isatty=<0|1>" once it has the fd.
cat >"$TMP/receiver.py" <<'EOF'
import array, os, select, socket, sys, time

sock_path, out_path = sys.argv[1], sys.argv[2]
to_send = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
fds = array.array("i")
msg, ancdata, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
for level, kind, data in ancdata:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
if not fds:
    open(out_path + ".fd", "w").write("no fd received\n")
    sys.exit(1)
master = fds[0]
open(out_path + ".fd", "w").write("isatty=%d\n" % os.isatty(master))
if to_send:
    os.write(master, to_send)
deadline = time.time() + 20
with open(out_path, "wb") as out:
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed, the container has exited
            break
        if not data:
            break
        out.write(data)
        out.flush()
EOF

# run_tty NAME INPUT ARGS... — runs ARGS with a terminal; prints what came through the master.
run_tty() {
	local name=$1 input=$2 id rpid
	shift 2
	set_args "$B" "$@"
	id=$(cid "$name")
	"$PYTHON" "$TMP/receiver.py" "$TMP/$name.sock" "$TMP/$name.out" "$input" &
	rpid=$!
	wait_until 30 test -S "$TMP/$name.sock"
	rt run -d --console-socket "$TMP/$name.sock" --bundle "$B" "$id" </dev/null >"$TMP/$name.rt" 2>&1
	echo "run-exit=$?"
	# The receiver ends when the container closes the pty (bounded by its own 20s timeout).
	wait "$rpid"
	cat "$TMP/$name.out.fd" 2>/dev/null
	tr -d '\r' <"$TMP/$name.out" 2>/dev/null
	rt delete --force "$id" >/dev/null 2>&1
}

out=$(run_tty basic "" sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; [ -t 1 ] && echo stdout-is-a-tty; [ -t 2 ] && echo stderr-is-a-tty; stat -c "console=%t" /dev/console; echo done')
check_contains "run -d --console-socket exits 0" "run-exit=0" "$out"
check_contains "the console socket receives a pty master fd" "isatty=1" "$out"
check_match "tty prints a /dev/pts device" '(^|[[:space:]])/dev/pts/[0-9]+' "$out"
check_contains "stdin is a terminal" stdin-is-a-tty "$out"
check_contains "stdout is a terminal" stdout-is-a-tty "$out"
check_contains "stderr is a terminal" stderr-is-a-tty "$out"
# /dev/console is the pty slave (major 136 = 0x88 for /dev/pts/*).
check_contains "/dev/console is the pty slave" "console=88" "$out"
check_contains "output arrives through the master" "done" "$out"

# Input typed into the master reaches the process.
out=$(run_tty input $'typed-line\n' sh -c 'read line; echo "got:$line"')
check_contains "input written to the master reaches the process" "got:typed-line" "$out"

# consoleSize is applied to the pty.
edit_config "$B" 'c["process"]["consoleSize"] = {"height": 33, "width": 111}'
out=$(run_tty size "" stty size)
check_contains "consoleSize sets the terminal size" "33 111" "$out"
edit_config "$B" 'c["process"].pop("consoleSize", None)'

# create + start with a terminal.
set_args "$B" sh -c 'tty; echo from-create'
id=$(cid created)
"$PYTHON" "$TMP/receiver.py" "$TMP/created.sock" "$TMP/created.out" &
rpid=$!
wait_until 30 test -S "$TMP/created.sock"
rt create --console-socket "$TMP/created.sock" --bundle "$B" "$id" </dev/null >/dev/null 2>&1
check_eq "create --console-socket: created" created "$(status_of "$id")"
check "start of a terminal container" rt start "$id"
wait "$rpid"
check_contains "create+start: output arrives through the master" from-create "$(cat "$TMP/created.out" 2>/dev/null)"
rt delete --force "$id" >/dev/null 2>&1

# Detaching with a terminal but no console socket cannot work: it must be refused.
id=$(cid nosocket)
check_fails "create with terminal: true and no --console-socket fails" \
	rt create --bundle "$B" "$id" </dev/null
rt delete --force "$id" >/dev/null 2>&1

finish
