#!/usr/bin/python3
"""
    The book's logging_basic.py (chapter 2), as a test peer: a PULL socket
    written with Debian's python3-zmq, nothing of ours.

    Usage:
        /usr/bin/python3 book_logger.py

    The port comes from $PORT (default 5555, as in the book). It prints
    "ready" once bound, so a test knows when to start sending.
"""

import os
import sys

import zmq

LOG_FILENAME = './log.txt'

log_file_handle = open(LOG_FILENAME, 'ab')

PORT = int(os.environ.get("PORT", "5555"))

context = zmq.Context()
socket = context.socket(zmq.PULL)

socket.bind('tcp://*:%s' % PORT)
print("ready", flush=True)

while True:
    msg = socket.recv()
    log_file_handle.write(msg + b'\n')
    log_file_handle.flush()  # Insist on writing immediately
