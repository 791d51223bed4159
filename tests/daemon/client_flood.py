#!/usr/bin/env python3
"""Clients that misbehave towards berthd's unix socket, for test_daemon_clients.sh.

  client_flood.py SOCKET idle N     N connections: a third send nothing, a third half a header,
                                    a third a whole request (then stay, kept alive); prints
                                    "ready N" once all are open and holds them until stdin closes
  client_flood.py SOCKET silent N   N connections that send nothing; "ready N", held as above
  client_flood.py SOCKET slowloris  one connection sending a header line every 0.5 s; prints the
                                    seconds until berthd closed it, or "open" after 60 s
  client_flood.py SOCKET stream N   N `GET /events` requests at once; prints "ready OK BUSY"
                                    (streams that started, 503 refusals) and holds them until
                                    stdin closes
"""
import select
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_response_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def idle(path, count, silent=False):
    held = []
    for i in range(count):
        s = connect(path)
        if silent:
            pass
        elif i % 3 == 1:
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n")
        elif i % 3 == 2:
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
            read_response_head(s)
        held.append(s)
    print("ready", len(held), flush=True)
    sys.stdin.read()


def slowloris(path):
    s = connect(path)
    s.sendall(b"GET /_ping HTTP/1.1\r\n")
    start = time.monotonic()
    while time.monotonic() - start < 60:
        readable, _, _ = select.select([s], [], [], 0.5)
        if readable:
            try:
                if not s.recv(4096):
                    break
            except ConnectionResetError:
                break
            continue
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            break
    else:
        print("open", flush=True)
        return
    print("%.1f" % (time.monotonic() - start), flush=True)


def stream(path, count):
    held, started, busy = [], 0, 0
    for _ in range(count):
        s = connect(path)
        s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        held.append(s)
    for s in held:
        head = read_response_head(s)
        if head.startswith(b"HTTP/1.1 200"):
            started += 1
        elif head.startswith(b"HTTP/1.1 503"):
            busy += 1
    print("ready", started, busy, flush=True)
    sys.stdin.read()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "idle":
        idle(path, int(sys.argv[3]))
    elif mode == "silent":
        idle(path, int(sys.argv[3]), silent=True)
    elif mode == "slowloris":
        slowloris(path)
    elif mode == "stream":
        stream(path, int(sys.argv[3]))


if __name__ == "__main__":
    main()
