#!/usr/bin/python3
"""
    A load generator for tests: one PUSH socket (Debian's python3-zmq) that
    sends COUNT messages "NAME SEQ", SEQ from 0 to COUNT-1, then waits
    until all are delivered.

    Usage:
        /usr/bin/python3 bulk_sender.py PORT NAME COUNT
"""

import sys

import zmq

port, name, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%d' % port)
for seq in range(count):
    socket.send(('%s %d' % (name, seq)).encode())
socket.close()   # linger -1: term() below waits until every message is out
context.term()
