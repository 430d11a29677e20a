#!/usr/bin/python3
"""
    A sender for the tests that connects at once but sends only when told:
    one PUSH socket (Debian's python3-zmq) connects, prints "connected" once
    its handshake with the logger is done (it fails, saying so, if that
    takes more than 15 s), waits for a line on standard input, then sends
    COUNT messages "NAME SEQ" and waits until all are handed over.

    Usage:
        /usr/bin/python3 gated_sender.py PORT NAME COUNT
"""

import sys

import zmq
from zmq.utils.monitor import recv_monitor_message

port, name, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

context = zmq.Context()
socket = context.socket(zmq.PUSH)
monitor = socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
socket.connect('tcp://127.0.0.1:%d' % port)
if not monitor.poll(15000):
    sys.exit("gated_sender.py: no handshake with the logger on port %d within 15 s" % port)
recv_monitor_message(monitor)
socket.disable_monitor()
monitor.close()
print("connected", flush=True)
sys.stdin.readline()
for seq in range(count):
    socket.send(('%s %d' % (name, seq)).encode())
socket.close()   # linger -1: term() below waits until every message is out
context.term()
