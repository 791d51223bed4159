#!/usr/bin/env python3
"""Drive an interactive command through a real pseudo-terminal.

usage: pty_drive.py [--timeout SECS] [--prompt REGEX] --send TEXT --expect REGEX -- CMD [ARGS...]

Starts CMD with a new pty as its controlling terminal (stdin, stdout and stderr),
waits until the output matches --prompt (default: a shell prompt ending in "# " or
"$ "), types --send followed by a carriage return, then waits for the command to
exit. The check passes when the output *after* the send matches --expect and the
command exits 0. Prints the captured transcript on failure. Exit status: 0 pass,
1 fail, 2 timeout.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--prompt", default=r"[#$] $|[#$] \x1b")
    ap.add_argument("--send", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("missing command")

    pid, fd = pty.fork()
    if pid == 0:
        os.environ.setdefault("TERM", "xterm")
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, f"exec {cmd[0]}: {e}\n".encode())
            os._exit(127)

    deadline = time.monotonic() + a.timeout
    buf = b""
    sent_at = None
    status = None

    def read_some(wait):
        nonlocal buf
        r, _, _ = select.select([fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: slave side closed
            return False
        if not data:
            return False
        buf += data
        return True

    open_ = True
    while time.monotonic() < deadline:
        if open_:
            open_ = read_some(0.1)
        else:
            time.sleep(0.05)
        if sent_at is None:
            text = buf.decode("utf-8", "replace")
            # Look at the tail only: the prompt is the last thing printed.
            if re.search(a.prompt, text[-64:]):
                os.write(fd, a.send.encode() + b"\r")
                sent_at = len(buf)
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            status = st
            # Drain whatever is still buffered in the pty.
            while open_ and read_some(0.2):
                if not select.select([fd], [], [], 0)[0]:
                    break
            break

    transcript = buf.decode("utf-8", "replace")
    if status is None:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        sys.stderr.write(
            f"pty_drive: timeout after {a.timeout}s "
            f"({'input sent' if sent_at is not None else 'no prompt seen'})\n"
            f"--- transcript ---\n{transcript!r}\n")
        return 2

    code = os.waitstatus_to_exitcode(status)
    after = buf[sent_at:].decode("utf-8", "replace") if sent_at is not None else ""
    if sent_at is None:
        sys.stderr.write(f"pty_drive: command exited ({code}) before a prompt was seen\n"
                         f"--- transcript ---\n{transcript!r}\n")
        return 1
    if not re.search(a.expect, after):
        sys.stderr.write(f"pty_drive: expected {a.expect!r} after input, exit {code}\n"
                         f"--- transcript ---\n{transcript!r}\n")
        return 1
    if code != 0:
        sys.stderr.write(f"pty_drive: command exited {code}\n--- transcript ---\n{transcript!r}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
