"""A bundled workload for `make demo`: stable-type numeric loops in a parent and two forked
workers, the shape the JIT compiles once and keeps. Standard library only.

    python3 workloads/numeric.py [--seconds S]
"""
import os
import sys
import time


def kernel(n):
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total


def work(seconds):
    end = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < end:
        kernel(200_000)
        rounds += 1
    return rounds


def main():
    seconds = 3.0
    if len(sys.argv) == 3 and sys.argv[1] == "--seconds":
        seconds = float(sys.argv[2])
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            work(seconds)
            os._exit(0)
        children.append(pid)
    rounds = work(seconds)
    for pid in children:
        os.waitpid(pid, 0)
    print("numeric: %d rounds in the parent" % rounds)


if __name__ == "__main__":
    main()
