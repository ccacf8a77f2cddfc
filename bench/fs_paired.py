#!/usr/bin/env python3
"""coro::fs against tokio::fs for one operation, as paired rounds: the geometric mean of the per-round ratios
coro / tokio with a 95% bootstrap interval (`bench/echo.py`'s), for wall-clock and CPU time.

`bench/src/bin/fs.rs` alternates the two implementations round after round in one process, so each round's
pair shares the machine's load; on a loaded machine single rounds swing by 2x, and the interval says how far
the ratio is known. Build first: `cargo build --release --features coro --bin fs` in bench/.

    python3 bench/fs_paired.py --op stat --files 10000 --rounds 20

`--cpus 0` runs the process on the listed CPUs only (`taskset -c`): on one CPU no hand-off between threads
wakes another CPU, so the times are the CPU cost of the hand-offs, which the machine's load barely moves.

Standard library only (and util-linux's `taskset` for `--cpus`).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess

import echo


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--op", default="stat", help="read, write or stat (stat)")
    p.add_argument("--size-mib", type=int, default=1, help="the file size of read and write, MiB (1)")
    p.add_argument("--files", type=int, default=10_000, help="the files stat reads (10000)")
    p.add_argument("--rounds", type=int, default=20, help="pairs of runs (20)")
    p.add_argument("--cpus", help="run on these CPUs only, a `taskset -c` list such as 0 (all)")
    args = p.parse_args()
    if args.rounds < 3:
        p.error("--rounds must be at least 3: the interval needs three pairs")
    env = {**os.environ, "OPS": args.op, "IMPLS": "tokio,coro"}
    pin = ["taskset", "-c", args.cpus] if args.cpus else []
    cmd = pin + [str(echo.BIN_DIR / "fs"), str(args.size_mib), str(args.files), str(args.rounds)]
    load = [os.getloadavg()[0]]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    load.append(os.getloadavg()[0])
    print(f"`OPS={args.op} IMPLS=tokio,coro {' '.join(pin + ['fs'] + cmd[-3:])}`, load average {load[0]:.1f} before, {load[1]:.1f} after")
    for what in ("wall", "cpu"):
        line = re.search(rf"{args.op}\s+{what} rounds: std \[.*?\], tokio (\[.*?\]), coro (\[.*?\])", out)
        tokio, coro = (ast.literal_eval(line.group(i)) for i in (1, 2))
        rows = [{"rep": i, "t": t} for i, t in enumerate(coro)]
        base = [{"rep": i, "t": t} for i, t in enumerate(tokio)]
        r, low, high, n = echo.paired_ratio(rows, base, "t")
        print(f"{what}: coro / tokio {r:.3f}x, 95% interval {low:.3f}-{high:.3f}x over {n} pairs;"
              f" medians tokio {sorted(tokio)[len(tokio) // 2]:.3f} s, coro {sorted(coro)[len(coro) // 2]:.3f} s")


if __name__ == "__main__":
    main()
