#!/usr/bin/env python3
"""Paired comparison of two builds of coro's benchmark binary (bench/src/bin/coro.rs): did a change move them?

On a machine shared with other work, one run of each build says little: the load changes between runs. This
script runs the two builds alternately (base then new, new then base, ...), pinned with `taskset` to as many
CPUs as workers, and reports for each benchmark the median of the per-pair ratios new/base and their range,
so that a change shows as a ratio away from 1 that the range does not straddle. With --instructions it
counts instructions per operation instead (valgrind's cachegrind, one worker, full-size rounds): the
difference between a process that runs two measured rounds and one that runs one, divided by the round's
operations, so that start-up, the probe round and teardown cancel out. Deterministic (to a few
instructions per million operations), so one run of each build is enough, and blind to the load.

Build the two binaries first, for instance the base from a `git archive` of main and the new one from the
working tree, each with `cargo build --release --bin coro --features coro` in bench/, copying
bench/target/release/coro aside between the two builds.

    python3 bench/paired.py --base /tmp/coro-base --new /tmp/coro-new --pairs 10
    python3 bench/paired.py --base /tmp/coro-base --new /tmp/coro-new --instructions

Standard library only; needs taskset (else runs unpinned) and, for --instructions, valgrind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess

BENCHES = "spawn_10k,spawn_1k,yield_1,yield_100,chain,pingpong"


def run(binary: str, workers: int, benches: str, reps: int) -> dict[str, float]:
    cmd = [binary, "--workers", str(workers), "--bench", benches, "--reps", str(reps)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", ",".join(str(c) for c in range(workers))] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
    return {d["bench"]: d["median"] for d in map(json.loads, out.splitlines())}


def instructions(binary: str, bench: str, reps: int) -> tuple[int, int]:
    """The instructions of a whole process that runs `reps` measured rounds of `bench`, and a round's ops."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", binary,
           "--workers", "1", "--bench", bench, "--reps", str(reps), "--warmup", "0", "--budget", "100000"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    count = int(re.search(r"I\s+refs:\s+([\d,]+)", done.stderr).group(1).replace(",", ""))
    return count, json.loads(done.stdout)["ops"]


def per_op(binary: str, bench: str) -> float:
    """Instructions per operation: one measured round more, divided by its operations."""
    (one, ops), (two, _) = instructions(binary, bench, 1), instructions(binary, bench, 2)
    return (two - one) / ops


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="the benchmark binary built from the base")
    p.add_argument("--new", required=True, help="the benchmark binary built with the change")
    p.add_argument("--benches", default=BENCHES)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--pairs", type=int, default=10)
    p.add_argument("--reps", type=int, default=5, help="rounds per run (each run reports their median)")
    p.add_argument("--instructions", action="store_true", help="count instructions under valgrind instead")
    args = p.parse_args()

    if args.instructions:
        print("| benchmark | base, instructions per op | new | new - base | new/base |")
        print("|---|---:|---:|---:|---:|")
        for bench in args.benches.split(","):
            base, new = per_op(args.base, bench), per_op(args.new, bench)
            print(f"| `{bench}` | {base:.1f} | {new:.1f} | {new - base:+.1f} | {new / base:.4f}x |")
        return

    loads = [os.getloadavg()[0]]
    print("| benchmark | workers | base median | new median | new/base, median of pairs | range of pairs |")
    print("|---|---:|---:|---:|---:|---:|")
    for workers in map(int, args.workers.split(",")):
        pairs: dict[str, list[tuple[float, float]]] = {}
        for i in range(args.pairs):
            order = ("base", "new") if i % 2 == 0 else ("new", "base")
            got = {v: run(args.base if v == "base" else args.new, workers, args.benches, args.reps) for v in order}
            for bench in args.benches.split(","):
                pairs.setdefault(bench, []).append((got["base"][bench], got["new"][bench]))
            loads.append(os.getloadavg()[0])
        for bench, ps in pairs.items():
            ratios = sorted(n / b for b, n in ps)
            base = statistics.median(b for b, _ in ps)
            new = statistics.median(n for _, n in ps)
            print(f"| `{bench}` | {workers} | {base:.1f} | {new:.1f} | {statistics.median(ratios):.3f}x "
                  f"| {ratios[0]:.2f}..{ratios[-1]:.2f} |")
    print(f"\nload average (1 min) during the runs: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
