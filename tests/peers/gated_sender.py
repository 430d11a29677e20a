#!/usr/bin/python3
"""
    A sender for the tests that connects at once but sends only when told:
    one PUSH socket (Debian's python3-zmq) connects, waits for a line on
    standard input, then sends COUNT messages "NAME SEQ" and waits until all
    are handed over.

    Usage:
        /usr/bin/python3 gated_sender.py PORT NAME COUNT
"""

import sys

import zmq

port, name, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%d' % port)
sys.stdin.readline()
for seq in range(count):
    socket.send(('%s %d' % (name, seq)).encode())
socket.close()   # linger -1: term() below waits until every message is out
context.term()
