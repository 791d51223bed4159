#!/usr/bin/env python3
"""A hijacking client that sends its first stdin bytes in the same write as its request, as the
docker SDK's socket or `printf 'POST …\\r\\n\\r\\nhello' | socat` can: the server reads them
together with the request header, and they must still reach the container first.

    pipelined_attach.py SOCKET PATH BODY DATA [--start ID] [--timeout S]

POSTs PATH (with BODY as JSON, empty for none) asking for an upgrade, with DATA right behind
it; --start starts container ID once the 101 has come (an attach before the start). Then it
half-closes its side, reads the stream to its end and prints the container's stdout (stderr
goes to stderr), decoding docker's 8-byte frames when the stream is multiplexed.
"""
import argparse
import socket
import sys


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed before the response header: %r" % data)
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def start(sock_path, container, timeout):
    s = connect(sock_path, timeout)
    s.sendall(("POST /containers/%s/start HTTP/1.1\r\nHost: berth\r\nContent-Length: 0\r\n"
               "Connection: close\r\n\r\n" % container).encode())
    head, _ = read_head(s)
    s.close()
    if not head.split(" ")[1].startswith("2"):
        raise SystemExit("start: " + head.splitlines()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("socket")
    parser.add_argument("path")
    parser.add_argument("body")
    parser.add_argument("data")
    parser.add_argument("--start")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()

    s = connect(args.socket, args.timeout)
    body = args.body.encode()
    request = ("POST %s HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
               % (args.path, len(body))).encode() + body
    s.sendall(request + args.data.encode())  # one write: the server reads it all at once
    head, rest = read_head(s)
    status = head.split(" ")[1]
    if status not in ("101", "200"):
        raise SystemExit(head.splitlines()[0] + " " + rest.decode("latin-1", "replace"))
    if args.start:
        start(args.socket, args.start, args.timeout)
    s.shutdown(socket.SHUT_WR)
    stream = rest
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        stream += chunk
    if "multiplexed-stream" not in head.lower():
        sys.stdout.buffer.write(stream)
        return
    while len(stream) >= 8:
        kind, size = stream[0], int.from_bytes(stream[4:8], "big")
        payload, stream = stream[8:8 + size], stream[8 + size:]
        (sys.stderr if kind == 2 else sys.stdout).buffer.write(payload)


if __name__ == "__main__":
    main()
