#!/usr/bin/python3
"""
    A slow network link for tests: a TCP relay on loopback with small
    receive buffers, passing on what senders send in small pieces with a
    pause between them. A sender's large message then takes a while to
    leave it, as over a slow link; a sender that exits before its message
    is out (a ZeroMQ socket closed with linger 0) loses it.

    Usage:
        /usr/bin/python3 slow_relay.py LISTEN_PORT TARGET_PORT

    Prints "ready" when it listens; runs until killed.
"""

import socket
import sys
import threading
import time

listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
CHUNK = 4096
PAUSE = 0.002  # seconds between pieces: about 2 MB/s a connection


def pipe(source, sink, pause):
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            sink.sendall(data)
            if pause:
                time.sleep(pause)  # the slow link under test, not a wait
    except OSError:
        pass
    finally:
        # Pass the end on: the other side sees the close after the data.
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def serve(client):
    try:
        server = socket.create_connection(('127.0.0.1', target_port))
    except OSError:
        client.close()
        return
    up = threading.Thread(target=pipe, args=(client, server, PAUSE))
    down = threading.Thread(target=pipe, args=(server, client, 0))
    up.start()
    down.start()
    up.join()
    down.join()
    client.close()
    server.close()


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# Before listen, so accepted connections get them too: a small TCP window,
# and small segments (the sender's kernel sizes its send buffer by them), so
# the sender's kernel cannot take a large message in at once.
listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHUNK)
listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
listener.bind(('127.0.0.1', listen_port))
listener.listen(256)
print('ready', flush=True)
while True:
    client, _ = listener.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
