#!/usr/bin/env python3
"""Used by bench/run: starts a command and measures the time from just before the process is
spawned to the first `GET /health` that answers 200 with `"status":"ok"`.

    start.py --port P --log FILE [--stop] -- COMMAND...

Prints `pid=<pid> ready_ms=<ms>` on success. The poller opens a raw TCP connection every
0.2 ms (no HTTP library, no sleeps longer than that), so the figure is the server's, not the
poller's. Without --stop the server keeps running (bench/run stops it); with --stop it is
sent SIGTERM once ready (extra start-up samples). Gives up after 10 s.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
POLL_S = 0.0002
DEADLINE_S = 10.0


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(REQUEST)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return False
    return data.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--stop", action="store_true")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    log = open(a.log, "ab")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    while True:
        if healthy(a.port):
            ready_ms = (time.perf_counter() - t0) * 1000.0
            break
        if proc.poll() is not None:
            sys.exit(f"start.py: the server exited with {proc.returncode} before /health answered (see {a.log})")
        if time.perf_counter() - t0 > DEADLINE_S:
            proc.kill()
            sys.exit(f"start.py: /health did not answer within {DEADLINE_S:.0f} s (see {a.log})")
        time.sleep(POLL_S)
    if a.stop:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(f"pid={proc.pid} ready_ms={ready_ms:.2f}", flush=True)
    # Leave a running server to the caller: exit without waiting for it.
    os._exit(0)


if __name__ == "__main__":
    main()
