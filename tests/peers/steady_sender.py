#!/usr/bin/python3
"""
    A sender for the tests that sends at a steady rate, as a busy service
    logs: one PUSH socket (Debian's python3-zmq) sends COUNT messages
    "NAME SEQ", PER_SECOND of them each second (on a fixed schedule, so the
    rate does not drift), then waits until all are handed over.

    Usage:
        /usr/bin/python3 steady_sender.py PORT NAME COUNT PER_SECOND
"""

import sys
import time

import zmq

port, name = int(sys.argv[1]), sys.argv[2]
count, per_second = int(sys.argv[3]), float(sys.argv[4])

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%d' % port)
start = time.monotonic()
for seq in range(count):
    wait = start + seq / per_second - time.monotonic()
    if wait > 0:
        time.sleep(wait)  # the pace under test, not a wait
    socket.send(('%s %d' % (name, seq)).encode())
socket.close()   # linger -1: term() below waits until every message is out
context.term()
