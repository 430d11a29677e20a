#!/usr/bin/python3
"""
    A CurveZMQ sender written with Debian's python3-zmq, nothing of ours:
    it reads its key pair and the logger's public key from zcert files (the
    format --keygen writes) and sends one message.

    Usage:
        /usr/bin/python3 curve_sender.py PORT LOGGER_KEY_FILE OWN_KEY_FILE message...

    Exit status: 0 once the handshake succeeded and the message is out, 3 when
    the logger refused the key (ZAP said 400), 4 when nothing happened in 10 s.
"""

import re
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message


def keys(path):
    text = open(path).read()
    field = lambda name: re.search(name + r'\s*=\s*"([^"]*)"', text)
    secret = field("secret-key")
    return (field("public-key").group(1).encode(),
            secret.group(1).encode() if secret else None)


port, logger_file, own_file = sys.argv[1:4]
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.curve_serverkey = keys(logger_file)[0]
socket.curve_publickey, socket.curve_secretkey = keys(own_file)
monitor = socket.get_monitor_socket()
socket.connect("tcp://127.0.0.1:%s" % port)
socket.send(" ".join(sys.argv[4:]).encode())

status = 4
deadline = time.time() + 10
while time.time() < deadline and status == 4:
    if monitor.poll(100):
        event = recv_monitor_message(monitor)["event"]
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            status = 0
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            status = 3

socket.disable_monitor()
monitor.close()
socket.close(linger=2000 if status == 0 else 0)
context.term()
sys.exit(status)
