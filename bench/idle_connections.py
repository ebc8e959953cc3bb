#!/usr/bin/env python3
"""/healthz latency while many idle connections are open: python3 bench/idle_connections.py
BASE_URL [N] [HOLD_S]. Opens N TCP connections that send nothing (a slowloris without even a
byte), then times 20 fresh requests to /healthz, and keeps the connections HOLD_S seconds more.
Prints the median and worst latency, and how many of the idle connections the server had closed
by then. One process holds at most its file descriptor limit; run two at once to open more
connections than the server's own limit."""
import resource
import socket
import statistics
import sys
import time
import urllib.request

base = sys.argv[1].rstrip("/")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
n = min(n, hard - 64)
host, port = base.split("//")[1].split(":")
idle = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(True)
    try:
        s.connect((host, int(port)))
    except OSError:
        s.close()
        break
    idle.append(s)
times = []
for _ in range(20):
    started = time.perf_counter()
    try:
        urllib.request.urlopen(base + "/healthz", timeout=10).read()
        times.append(time.perf_counter() - started)
    except OSError:
        times.append(float("inf"))
time.sleep(hold)
closed = 0
for s in idle:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print(f"idle connections opened: {len(idle)}, closed by the server: {closed}")
print(f"/healthz: median {statistics.median(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms, failed {sum(t == float('inf') for t in times)}/20")
