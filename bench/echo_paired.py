#!/usr/bin/env python3
"""Paired echo runs: several echo servers (builds of coro, tokio, ...) run back to back in a random order in
every repetition, so that each pair of runs shares the machine's state; reports each server's CPU per request
against a reference server as the geometric mean of the per-repetition ratios with a 95% bootstrap interval.

On a shared machine one run of each server says little: the load changes between runs. This is `echo.py`'s
procedure (`run_one`: the server pinned to one CPU, the load generator to another, a warm-up, then a window
whose requests and server CPU time are counted) with the servers interleaved per repetition, for comparing
two builds of coro, or coro with tokio, on a figure and an interval. A server is `LABEL=DIR:NAME`: `NAME` is
one of `echo.py`'s servers (coro, tokio, mio, ...) and `DIR` the folder that holds its binary and
`echo_load` (copy `bench/target/release/echo_*` aside between builds). The first server is the reference.

    python3 bench/echo_paired.py --reps 20 --configs 512x1024,64x64 \\
        tokio=bench/target/release:tokio coro=bench/target/release:coro
    python3 bench/echo_paired.py --reps 20 base=/tmp/echo-base:coro new=bench/target/release:coro

Both the CPU time per request and the server / client CPU (the server's CPU time in units of the load
generator's over the same window, which a slower machine slows alike) are reported. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import types
from pathlib import Path

import echo


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("servers", nargs="+", help="LABEL=DIR:NAME; the first is the reference")
    p.add_argument("--configs", default="512x1024", help="CONNSxBYTES, comma-separated (512x1024)")
    p.add_argument("--reps", type=int, default=10, help="repetitions; each runs every server once (10)")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before the window (1)")
    p.add_argument("--duration", type=float, default=3.0, help="seconds in the measured window (3)")
    p.add_argument("--seed", type=int, default=1, help="seed of the run order (1)")
    p.add_argument("--log", type=Path, help="append every run's figures to this file, one JSON line each")
    args = p.parse_args()
    servers = []
    for spec in args.servers:
        label, _, rest = spec.partition("=")
        folder, _, name = rest.rpartition(":")
        if not label or not folder or name not in echo.SERVERS:
            p.error(f"{spec!r}: expected LABEL=DIR:NAME with NAME one of {', '.join(echo.SERVERS)}")
        servers.append((label, Path(folder), name))
    configs = [tuple(map(int, c.lower().split("x"))) for c in args.configs.split(",") if c]
    run_args = types.SimpleNamespace(server_cpu=0, client_cpu=1, warmup=args.warmup, duration=args.duration, rate=None)
    order = random.Random(args.seed)
    rows: dict[tuple[int, int], dict[str, list[dict]]] = {c: {s[0]: [] for s in servers} for c in configs}
    for rep in range(args.reps):
        for conns, size in configs:
            echo.raise_nofile(conns)
            for label, folder, name in order.sample(servers, len(servers)):
                echo.BIN_DIR = folder
                row, err = echo.run_one(name, conns, size, run_args)
                if row is None:
                    print(f"rep {rep} {conns}x{size} {label}: {err}", flush=True)
                    continue
                row["rep"] = rep
                rows[(conns, size)][label].append(row)
                keep = ("cpu_us_per_req", "user_us_per_req", "system_us_per_req", "cpu_vs_client", "rps", "others_util")
                line = {"rep": rep, "config": f"{conns}x{size}", "server": label, **{k: row[k] for k in keep}}
                print(json.dumps(line), flush=True)
                if args.log:
                    with args.log.open("a") as f:
                        f.write(json.dumps(line) + "\n")
    ref = servers[0][0]
    print(f"\n| config | server | CPU µs/req (median) | user µs/req | / {ref}, 95% interval | server / client CPU, / {ref} | pairs |")
    print("|---|---|---:|---:|---|---|---:|")
    for conns, size in configs:
        by = rows[(conns, size)]
        for label, _, _ in servers:
            med = lambda k: statistics.median([r[k] for r in by[label]]) if by[label] else float("nan")  # noqa: E731
            cells = [f"{conns} x {echo.fmt_size(size)}", label, f"{med('cpu_us_per_req'):.2f}", f"{med('user_us_per_req'):.2f}"]
            if label == ref:
                cells += ["—", "—", str(len(by[label]))]
            else:
                cpu = echo.paired_ratio(by[label], by[ref], "cpu_us_per_req")
                norm = echo.paired_ratio(by[label], by[ref], "cpu_vs_client")
                fmt = lambda r: f"{r[0]:.3f}x ({r[1]:.3f}–{r[2]:.3f})" if r else "—"  # noqa: E731
                cells += [fmt(cpu), fmt(norm), str(cpu[3] if cpu else 0)]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
