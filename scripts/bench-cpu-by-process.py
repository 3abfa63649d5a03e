#!/usr/bin/env python3
"""Runs one command and prints where its CPU went, by kind of process: the command itself,
chromedriver, and Chromium's browser, renderer, GPU and utility processes (from their
`--type=` flags). It polls /proc every 50 ms for the command's whole process tree (it is a
child subreaper, so a browser re-parented away from its launcher still counts) and keeps each
process's last user + system time: a process that lives under 50 ms may be missed.
Used to compare reprise with a peer on the same flows (docs/performance.md, "Where the CPU
goes"). Usage: bench-cpu-by-process.py CMD [ARG...]   (the command's output goes to /dev/null)"""
import collections
import ctypes
import os
import re
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def kind(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            whole = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    t = re.search(r"--type=(\S+)", whole)
    if t:
        sub = re.search(r"--utility-sub-type=(\S+)", whole)
        return "chromium " + t.group(1) + (" " + sub.group(1) if sub else "")
    name = os.path.basename(whole.split(" ")[0])
    return "chromium browser" if name in ("chromium", "chrome") else name


def tree(root):
    parent = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{p}/stat") as f:
                parent[int(p)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            pass
    found, todo = set(), [root]
    while todo:
        x = todo.pop()
        for c, pp in parent.items():
            if pp == x and c not in found:
                found.add(c)
                todo.append(c)
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("bench-cpu-by-process: prctl(PR_SET_CHILD_SUBREAPER) failed")
    hz = os.sysconf("SC_CLK_TCK")
    t0 = time.monotonic()
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = {}
    while child.poll() is None:
        for p in tree(os.getpid()):
            try:
                with open(f"/proc/{p}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                k = kind(p)
                if k:
                    last[p] = (k, (int(fields[11]) + int(fields[12])) / hz)
            except OSError:
                pass
        time.sleep(0.05)
    wall = time.monotonic() - t0
    while True:  # reap what is left
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    by = collections.Counter()
    for k, cpu in last.values():
        by[k] += cpu
    print(f"exit {child.returncode}  wall {wall:.2f} s  CPU {sum(by.values()):.2f} s")
    for k, cpu in by.most_common():
        if cpu >= 0.01:
            print(f"  {k:48} {cpu:7.2f} s")


main()
