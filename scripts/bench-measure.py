#!/usr/bin/env python3
"""Runs one command and prints, as one JSON line, what it cost:
  wall      seconds until the command exits;
  tree_cpu  CPU seconds (user + system) of the command and EVERY process it started, orphans
            included: this process is a child subreaper (PR_SET_CHILD_SUBREAPER), so browser
            processes re-parented away from their launcher are reaped here and their CPU lands in
            RUSAGE_CHILDREN; other engineers' work on a shared machine does not count;
  busy      busy core-seconds of the whole machine from /proc/stat over the same interval
            (everything but idle and iowait): what the brief asks for, but it counts the
            neighbours too.
Usage: bench-measure.py CMD [ARG...]   (the command's own output goes to /dev/null)"""
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]  # minus idle and iowait


def orphans():
    me = str(os.getpid())
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[1] == me:
                    found.append(int(pid))
        except OSError:
            pass
    return found


def main():
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("bench-measure: prctl(PR_SET_CHILD_SUBREAPER) failed")
    hz = os.sysconf("SC_CLK_TCK")
    b0, t0 = busy_ticks(), time.monotonic()
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    code = child.wait()
    wall, b1 = time.monotonic() - t0, busy_ticks()
    # Reap what the command left behind (a browser still shutting down); kill what lingers.
    deadline = time.monotonic() + 10
    while orphans():
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                for p in orphans():
                    os.kill(p, signal.SIGKILL)
            time.sleep(0.05)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"code": code, "wall": round(wall, 3), "tree_cpu": round(ru.ru_utime + ru.ru_stime, 3),
                      "busy": round((b1 - b0) / hz, 3)}))


main()
