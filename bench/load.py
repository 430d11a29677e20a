#!/usr/bin/python3
"""
    The benchmark's load generator, the same for every logger: one PUSH
    socket (Debian's python3-zmq) that sends COUNT messages of exactly SIZE
    bytes, "NAME SEQ xxxx...", then waits until all are delivered.

    Usage:
        /usr/bin/python3 load.py PORT NAME COUNT SIZE
"""

import sys

import zmq

port, name, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % port)
pad = b'x' * size
for seq in range(count):
    head = b'%s %09d ' % (name.encode(), seq)
    socket.send(head + pad[:size - len(head)])
socket.close()  # linger -1: term() waits until every message is out
context.term()
