#!/usr/bin/python3
"""
    A RELP server that misbehaves, for --forward's tests: on PORT it accepts
    connections and, by MODE,
      silent  never answers, not even the session's open;
      refuse  opens the session, then answers every message with an error
              whose text holds terminal escapes.
    It prints "connection" for each connection it accepts.

    Usage:
        /usr/bin/python3 bad_relp_server.py PORT MODE
"""

import socket
import sys
import threading

port, mode = int(sys.argv[1]), sys.argv[2]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(16)


def frames(conn):
    """Yields (txnr, command) of each frame the client sends."""
    buffer = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buffer += data
        while True:
            parts = buffer.split(b" ", 3)
            if len(parts) < 3:
                break
            length = int(parts[2].split(b"\n")[0])
            head = len(parts[0]) + len(parts[1]) + len(str(length)) + 2
            end = head + (1 + length if length > 0 else 0)
            if len(buffer) < end + 1:
                break
            yield int(parts[0]), parts[1].decode()
            buffer = buffer[end + 1:]


def serve(conn):
    with conn:
        if mode == "silent":
            while conn.recv(65536):
                pass
            return
        for txnr, command in frames(conn):
            if command == "open":
                answer = b"200 OK\nrelp_version=0\ncommands=syslog"
            else:
                answer = b"500 no\x1b[31m red\x07"
            conn.sendall(b"%d rsp %d %s\n" % (txnr, len(answer), answer))


while True:
    conn, _ = server.accept()
    print("connection", flush=True)
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
