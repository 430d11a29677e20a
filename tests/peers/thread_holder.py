#!/usr/bin/python3
"""
    Runs a command and, when asked, holds its main thread still while its
    other threads run on. SIGSTOP stops every thread of a process; a tracer
    that seizes one thread (ptrace PTRACE_SEIZE, then PTRACE_INTERRUPT) stops
    that thread alone. With the logger's main thread held it takes no
    message, while libzmq's I/O thread goes on receiving into its queues.
    The command is this script's child, so the kernel lets it be traced where
    only a process's ancestors may trace it (Yama's ptrace_scope 1).

    Asked on standard input, one answer a line on standard output:
        pid      -> the command's process id (its main thread's id too)
        hold     -> "held" once the main thread is stopped
        release  -> "released" once it runs again
    When standard input ends it lets go of the thread, waits for the command
    to end, and exits with its status (128 + N for signal N). The command's
    standard output and error go to this script's standard error; it is
    killed if this script dies.

    Usage:
        /usr/bin/python3 thread_holder.py COMMAND [ARG...]
"""

import ctypes
import os
import signal
import subprocess
import sys

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PR_SET_PDEATHSIG = 1
WAIT_ALL = 0x40000000  # __WALL: wait for a thread, not only a child

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                        ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


def ptrace(request, name, tid):
    if libc.ptrace(request, tid, None, None) == -1:
        sys.exit('thread_holder: cannot %s thread %d: %s' % (
            name, tid, os.strerror(ctypes.get_errno())))


def die_with_parent():
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


command = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,
                           stdout=sys.stderr, preexec_fn=die_with_parent)
held = False
for line in sys.stdin:
    request = line.strip()
    if request == 'pid':
        answer = str(command.pid)
    elif request == 'hold':
        ptrace(PTRACE_SEIZE, 'trace', command.pid)
        ptrace(PTRACE_INTERRUPT, 'stop', command.pid)
        os.waitpid(command.pid, WAIT_ALL)
        held, answer = True, 'held'
    elif request == 'release':
        ptrace(PTRACE_DETACH, 'let go of', command.pid)
        held, answer = False, 'released'
    else:
        answer = 'unknown request %r' % request
    print(answer, flush=True)
if held:
    ptrace(PTRACE_DETACH, 'let go of', command.pid)
status = command.wait()
sys.exit(128 - status if status < 0 else status)
