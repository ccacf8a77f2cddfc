#!/usr/bin/env python3
"""System calls and context switches per echo request: where the echo servers' kernel time goes.

The echo benchmark's CPU time per request is about 90% kernel time, so a server that made more system calls
or more wakeups per request would lose there. This counts them, with the kernel's own tracepoints (`perf
stat -e raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait,...`, attached to the server for a window in
the middle of the load generator's): counts are not timings, so a loaded machine changes them little. The servers and the
load generator are `bench/echo.py`'s (build them first: `python3 bench/echo.py --quick`, or `cargo build
--release --bin echo_coro --bin echo_tokio --bin echo_load --features coro` in bench/), run as it runs them:
the server pinned to CPU 0, the load generator to CPU 1.

Each count is divided by the server's `sendto` calls: with messages of at most 1 KiB, one `sendto` writes one
whole echo, so that is the number of requests served in exactly the counted window.

    python3 bench/echo_syscalls.py                       # coro and tokio, 512 x 1 KiB and 64 x 64 B, 3 reps
    python3 bench/echo_syscalls.py --servers coro,mio --configs 512x1024 --reps 5

Standard library only; needs perf (with tracepoints readable: root, or perf_event_paranoid <= -1) and taskset.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time

import echo

# Seconds of load before and after the counted window, so that neither the connections' setup nor their
# teardown (a `recvfrom` of 0 bytes, `epoll_ctl`, `close` each) falls in it.
MARGIN = 1.0

EVENTS = {
    "syscalls": "raw_syscalls:sys_enter",
    "epoll_wait": "syscalls:sys_enter_epoll_wait",
    "recvfrom": "syscalls:sys_enter_recvfrom",
    "sendto": "syscalls:sys_enter_sendto",
    "futex": "syscalls:sys_enter_futex",
    "context switches": "context-switches",
}


def count(name: str, conns: int, size: int, warmup: float, duration: float) -> dict[str, float]:
    """One server under load: each event's count over `duration` seconds, per `sendto`."""
    server = echo.Server(name, 0)
    try:
        host, port = server.address(timeout=10)
        load = subprocess.Popen(
            ["taskset", "-c", "1", str(echo.BIN_DIR / echo.LOAD_BIN), "--addr", f"{host}:{port}",
             "--conns", str(conns), "--size", str(size), "--warmup", str(warmup), "--duration", str(duration + 2 * MARGIN),
             "--server-pid", str(server.proc.pid)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(warmup + MARGIN)
        perf = subprocess.run(
            ["perf", "stat", "-x,", "-e", ",".join(EVENTS.values()), "-p", str(server.proc.pid),
             "--", "sleep", str(duration)],
            capture_output=True, text=True, timeout=duration + 30, check=True,
        )  # fmt: skip
        out, _ = load.communicate(timeout=warmup + duration + 2 * MARGIN + 30)
        row = next(json.loads(l) for l in out.splitlines() if l.startswith("{"))
        if row["errors"]:
            raise RuntimeError(f"{name}: {row['errors']} connection(s) failed")
        counts = {}
        for line in perf.stderr.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[0].isdigit():
                counts[fields[2]] = int(fields[0])
        sends = counts[EVENTS["sendto"]]
        return {label: counts[event] / sends for label, event in EVENTS.items()}
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", default="coro,tokio")
    ap.add_argument("--configs", default="512x1024,64x64", help="CONNSxSIZE,...")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=3.0)
    args = ap.parse_args()
    print("| config | server | " + " | ".join(f"{label} per request" for label in EVENTS) + " |")
    print("|---|---|" + "---:|" * len(EVENTS))
    for config in args.configs.split(","):
        conns, size = map(int, config.lower().split("x"))
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(args.reps):
            for name in args.servers.split(","):
                runs.setdefault(name, []).append(count(name, conns, size, args.warmup, args.duration))
        for name, rows in runs.items():
            medians = [statistics.median(r[label] for r in rows) for label in EVENTS]
            print(f"| {conns} x {size} B | {name} | " + " | ".join(f"{m:.4f}" for m in medians) + " |")


if __name__ == "__main__":
    main()
