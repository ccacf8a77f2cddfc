#!/usr/bin/env python3
"""User-space instructions (and cache misses) per echo request of two echo servers: did a change move coro?

On a loaded machine the echo benchmark's CPU time per request moves by more than the changes one wants to
see. Instruction counts do not depend on the load: each build's server runs under valgrind's cachegrind
(user space only, every thread), driven by `bench/echo.py`'s load generator, twice, for a short and a long
window; the difference of the two runs' instructions over the difference of their requests is the cost of a
request, with start-up, accepts and teardown cancelled out. Under valgrind the server is the bottleneck, so
every connection always has a request in flight and each `epoll_wait` returns many of them: a steady, busy
regime, the same for both builds.

With --misses cachegrind also simulates the caches (`--cache-sim=yes`, the machine's own L1 sizes) and the
table gives the first-level data cache misses per request (reads and writes) beside the instructions: the
number of distinct cache lines of per-connection state a request touches that the others evicted since,
in user space (the kernel's copies are not simulated). `--base` and `--new` may be any two echo servers with
the same command line, for instance `echo_tokio` against `echo_coro`.

Build the load generator and each build's server first (`cargo build --release --features coro --bin
echo_coro --bin echo_load` in bench/, copying target/release/echo_coro aside between the two builds).

    python3 bench/echo_instructions.py --base /tmp/echo_coro-base --new bench/target/release/echo_coro
    python3 bench/echo_instructions.py --misses --configs 512x1024 \
        --base bench/target/release/echo_tokio --new bench/target/release/echo_coro

Standard library only; needs valgrind.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import threading

import echo


def run(binary: str, conns: int, size: int, duration: float, misses: bool) -> tuple[int, int, int]:
    """One server under valgrind for one window: (its instructions, its D1 misses (0 without `misses`), the
    requests echoed in the window)."""
    sim = "--cache-sim=yes" if misses else "--cache-sim=no"
    server = subprocess.Popen(
        ["valgrind", "--tool=cachegrind", sim, "--cachegrind-out-file=/dev/null", binary, "127.0.0.1:0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    err: list[str] = []
    drain = threading.Thread(target=lambda: err.extend(server.stderr), daemon=True)
    drain.start()
    line = server.stdout.readline()
    addr = line.removeprefix("listening on ").strip()
    load = subprocess.run(
        [str(echo.BIN_DIR / echo.LOAD_BIN), "--addr", addr, "--conns", str(conns), "--size", str(size),
         "--warmup", "0", "--duration", str(duration)],
        capture_output=True, text=True, timeout=duration + 120, check=True,
    )  # fmt: skip
    result = json.loads(load.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"load generator errors: {result['first_errors']}")
    server.stdin.close()
    server.wait(timeout=60)
    drain.join(timeout=5)
    text = "".join(err)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", text)
    if refs is None:
        raise RuntimeError(f"no instruction count from valgrind: {text[-2000:]}")
    d1 = re.search(r"D1\s+misses:\s+([\d,]+)", text)
    if misses and d1 is None:
        raise RuntimeError(f"no D1 miss count from valgrind: {text[-2000:]}")
    count = lambda m: int(m.group(1).replace(",", "")) if m else 0  # noqa: E731
    return count(refs), count(d1) if misses else 0, result["requests"]


def per_request(binary: str, conns: int, size: int, short: float, long: float, misses: bool) -> tuple[float, float, int]:
    """(instructions, D1 misses) per request and the requests it is taken over: the long window less the short."""
    i1, m1, r1 = run(binary, conns, size, short, misses)
    i2, m2, r2 = run(binary, conns, size, long, misses)
    return (i2 - i1) / (r2 - r1), (m2 - m1) / (r2 - r1), r2 - r1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="echo_coro built from the base (or another echo server)")
    p.add_argument("--new", required=True, help="echo_coro built with the change")
    p.add_argument("--misses", action="store_true", help="simulate the caches: D1 misses per request too")
    p.add_argument("--configs", default="64x64,512x1024", help="CONNSxBYTES, comma-separated")
    p.add_argument("--short", type=float, default=2.0, help="seconds of the short window (2)")
    p.add_argument("--long", type=float, default=6.0, help="seconds of the long window (6)")
    args = p.parse_args()
    if args.misses:
        print("| connections x bytes | base instructions/request | base D1 misses/request | new instructions/request"
              " | new D1 misses/request | new/base instructions | new/base misses |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    else:
        print("| connections x bytes | base instructions/request | new instructions/request | new/base |")
        print("|---|---:|---:|---:|")
    for config in args.configs.split(","):
        conns, size = map(int, config.split("x"))
        echo.raise_nofile(conns)
        (base, base_d1, nb), (new, new_d1, nn) = (
            per_request(b, conns, size, args.short, args.long, args.misses) for b in (args.base, args.new)
        )
        if args.misses:
            # Below a twentieth of a miss per request the ratio says nothing (everything fits the cache).
            misses = f"{new_d1 / base_d1:.3f}x" if base_d1 >= 0.05 else "—"
            print(f"| {conns} x {echo.fmt_size(size)} | {base:,.0f} ({nb:,} req) | {max(base_d1, 0):.2f} | {new:,.0f} ({nn:,} req)"
                  f" | {max(new_d1, 0):.2f} | {new / base:.4f}x | {misses} |")
        else:
            print(f"| {conns} x {echo.fmt_size(size)} | {base:,.0f} ({nb:,} req) | {new:,.0f} ({nn:,} req) | {new / base:.4f}x |")


if __name__ == "__main__":
    main()
