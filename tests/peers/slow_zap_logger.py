#!/usr/bin/python3
"""
    A CurveZMQ logger written with Debian's python3-zmq that takes its time
    to refuse: its ZAP handler waits DELAY seconds before it answers 400 to
    every sender, as a logger on a busy machine may. It prints "ready" once
    bound and each message it receives (none should come).

    Usage:
        /usr/bin/python3 slow_zap_logger.py PORT KEY_FILE DELAY
"""

import re
import sys
import threading
import time

import zmq


def keys(path):
    text = open(path).read()
    field = lambda name: re.search(name + r'\s*=\s*"([^"]*)"', text)
    return field("public-key").group(1).encode(), field("secret-key").group(1).encode()


port, key_file, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
context = zmq.Context()

# The ZAP handler is bound before the PULL socket, so every handshake asks it.
zap = context.socket(zmq.REP)
zap.bind("inproc://zeromq.zap.01")


def refuse_slowly():
    while True:
        try:
            request = zap.recv_multipart()
        except zmq.ContextTerminated:
            return
        time.sleep(delay)  # the slow answer under test, not a wait
        version, request_id = request[0], request[1]
        zap.send_multipart([version, request_id, b"400", b"not on the list", b"", b""])


threading.Thread(target=refuse_slowly, daemon=True).start()

pull = context.socket(zmq.PULL)
pull.curve_server = True
pull.curve_publickey, pull.curve_secretkey = keys(key_file)
pull.zap_domain = b"zmqlog"
pull.bind("tcp://127.0.0.1:%s" % port)
print("ready", flush=True)
while True:
    print(pull.recv().decode(errors="replace"), flush=True)
