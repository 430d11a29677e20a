#!/usr/bin/python3
"""
    A fuzzing peer: sends COUNT messages of random bytes (0 to 300 bytes, any
    byte value; one in ten has 2 or 3 frames), seeded so a failure repeats,
    and prints how many frames it sent.

    Usage:
        /usr/bin/python3 fuzz_sender.py PORT COUNT SEED
"""

import random
import sys

import zmq

port, count, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)

context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%d' % port)
frames = 0
for _ in range(count):
    parts = rng.choice([1] * 9 + [2, 3])
    message = [bytes(rng.randrange(256) for _ in range(rng.randrange(301)))
               for _ in range(parts)]
    socket.send_multipart(message)
    frames += parts
socket.close()
context.term()
print(frames)
