#!/usr/bin/python3
"""
    A hostile sender for the tests: one PUSH connection that sends COUNT
    messages of SIZE bytes, every byte BYTE (a number, e.g. 1 for \\x01), as
    fast as it can, then waits until all are handed over.

    Usage:
        /usr/bin/python3 flood_sender.py PORT COUNT SIZE BYTE
"""

import sys

import zmq

port, count, size, byte = (int(arg) for arg in sys.argv[1:5])
message = bytes([byte]) * size
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%d' % port)
for _ in range(count):
    socket.send(message)
socket.close()  # linger -1: term() waits until every message is out
context.term()
