#!/usr/bin/python3
"""
    The book's log_cmd_basic.py (chapter 2), as a test peer: a PUSH socket
    written with Debian's python3-zmq, nothing of ours.

    Usage:
        /usr/bin/python3 book_sender.py arg1 arg2 arg3

    The port comes from $PORT (default 5555, as in the book). Unlike the
    book, it closes its socket and terminates its context before exiting,
    so that modern pyzmq delivers the message (see docs/platform.md).
"""

import os
import sys

import zmq

PORT = int(os.environ.get("PORT", "5555"))

context = zmq.Context()
socket = context.socket(zmq.PUSH)

socket.connect('tcp://localhost:%s' % PORT)

log = ' '.join(sys.argv[1: len(sys.argv)])
socket.send(log.encode())

socket.close()
context.term()
