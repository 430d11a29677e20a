#!/usr/bin/python3
"""
    Counts how many messages one sender can hand over to a logger that takes
    none: one PUSH socket (Debian's python3-zmq) that queues at most one
    message of its own (SNDHWM 1) connects and sends "ready". When a line
    comes on standard input it sends messages of SIZE bytes ("00000000 xxx",
    numbered from 0) until one waits longer than WAIT_MS to go, or CAP went,
    and prints how many went. When standard input ends (or the next line
    comes) it waits until every message is delivered.

    Usage:
        /usr/bin/python3 queue_probe.py PORT SIZE CAP WAIT_MS
"""

import sys

import zmq

port, size, cap, wait_ms = (int(arg) for arg in sys.argv[1:5])

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.setsockopt(zmq.SNDHWM, 1)
socket.connect('tcp://127.0.0.1:%d' % port)
socket.send(b'ready')
sys.stdin.readline()
socket.setsockopt(zmq.SNDTIMEO, wait_ms)
sent = 0
while sent < cap:
    try:
        socket.send(b'%08d ' % sent + b'x' * (size - 9))
    except zmq.Again:
        break
    sent += 1
print(sent, flush=True)
sys.stdin.readline()
socket.close()   # linger -1: term() below waits until every message is out
context.term()
