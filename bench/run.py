#!/usr/bin/env python3
"""Scheduler and sync benchmarks: coro against tokio, smol and may, with 1 and 2 workers, in one command.

The measurements live in the `coro-bench` crate next to this file (bench/src/lib.rs says exactly what each
one does): one binary per runtime (bench/src/bin/{coro,tokio,smol,may}.rs), so that every runtime runs in a
process of its own. This driver

1. builds the binaries with `cargo build --release` (target dir bench/target); the peers first, then coro on
   its own (`--features coro`), so that a coro that does not compile is reported and skipped, not fatal;
2. runs, for each worker count, every runtime's timing measurements of the suite in one process (a warm-up
   round, then the median of --reps rounds, computed by the binary), pinned with `taskset` to as many CPUs
   as workers;
3. (scheduler suite) runs the idle-memory measurement --idle-reps times per runtime and worker count, each in
   a fresh process (memory freed by one round would be reused by the next), and takes the median;
4. prints one table, with coro's ratio to the peers, and with --write replaces the suite's section of
   BENCHMARKS.md, between `<!-- SUITE:begin -->` and `<!-- SUITE:end -->` (appending it if missing).

Two suites (`--suite`, see `SUITES`): `scheduler` (spawn, yield, chained spawn, idle memory) and `sync`
(channel ping-pong, a multi-producer multi-consumer channel, a contended mutex).

Every process runs under a time limit (--timeout), so a hung runtime costs at most that, and is reported.

    python3 bench/run.py                      # build, run, print the table (about 2 minutes once built)
    python3 bench/run.py --write              # and update BENCHMARKS.md
    python3 bench/run.py --quick              # counts divided by 10, 3 reps: a smoke test (no --write)
    python3 bench/run.py --runtimes coro,tokio --workers 2
    python3 bench/run.py --suite sync --write # the sync suite (under a minute once built)

Standard library only (Python 3.11+); needs cargo on PATH, and taskset for pinning (skipped without it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks_md import cmd_out, cpu_model, git_commit, lock_versions, write_section
from cargo_bins import cargo_build as build_bins

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TARGET_DIR = BENCH / "target"
BIN_DIR = TARGET_DIR / "release"
BUILD_LOG = TARGET_DIR / "scheduler-build.log"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"

RUNTIMES = ("coro", "tokio", "smol", "may")
PEERS = ("tokio", "smol", "may")


@dataclass(frozen=True)
class Suite:
    """A set of measurements the binaries run (their names in bench/src/lib.rs) and its BENCHMARKS.md section."""

    name: str  # --suite, and the section's markers
    title: str  # the section's heading
    timed: tuple[str, ...]  # run in one process per runtime and worker count
    idle: bool  # also the idle-memory measurement, a fresh process per sample
    unit: dict[str, str]  # of every measurement, for a row no runtime produced
    description: dict[str, str]  # what each row measures
    target: dict[str, str]  # the target for coro (lower is better everywhere)
    ratio_peers: tuple[str, ...]  # a `coro / peer` column each
    crates: tuple[str, ...]  # the crates whose versions the section records
    peers_used: str  # which runtime and which primitives: the "Peers" line goes on with this

    @property
    def benches(self) -> tuple[str, ...]:
        return (*self.timed, "idle") if self.idle else self.timed


SCHEDULER = Suite(
    name="scheduler",
    title="Scheduler: coro against tokio, smol and may",
    timed=("spawn_10k", "spawn_1k", "yield_1", "yield_100", "chain"),
    idle=True,
    unit={
        "spawn_10k": "ns/task",
        "spawn_1k": "ns/task",
        "yield_1": "ns/yield",
        "yield_100": "ns/yield",
        "chain": "ns/spawn",
        "idle": "B/task",
    },
    description={
        "spawn_10k": "spawn 1M trivial tasks in waves of 10k, joining each wave",
        "spawn_1k": "spawn 1M trivial tasks in waves of 1k, joining each wave",
        "yield_1": "one task calling `yield_now` 1M times",
        "yield_100": "100 tasks calling `yield_now` 10k times each (wall time / all yields)",
        "chain": "chained spawn: each task spawns the next, 100k deep",
        "idle": "RSS growth per task, 100k tasks parked on a oneshot receiver each",
    },
    target={
        "spawn_10k": "≤ 100",
        "spawn_1k": "≤ 100",
        "yield_1": "≤ 30",
        "yield_100": "≤ 30",
        "idle": "≤ 128",
    },
    ratio_peers=("tokio", "smol"),
    crates=("tokio", "smol", "async-executor", "async-oneshot", "may"),
    peers_used="""tokio: a multi-thread runtime (also for 1 worker) with `enable_all()`, as
  `#[tokio::main]` builds it, and `tokio::sync::oneshot`; smol: one `Executor` run by N threads, and
  `async_oneshot`; may: `set_workers(N)`, its default 32 KiB stacks, and `may::sync::mpsc`; coro:
  `coro::sync::oneshot`. The files in `bench/src/bin/` say the rest""",
)

SYNC = Suite(
    name="sync",
    title="Channels and mutex: coro against tokio, smol and may",
    timed=("pingpong", "mpmc", "mutex"),
    idle=False,
    unit={"pingpong": "ns/round trip", "mpmc": "ns/msg", "mutex": "ns/lock"},
    description={
        "pingpong": "two tasks, two bounded(1) channels: the root sends a value and waits for its echo, 500k times",
        "mpmc": "4 producers and 4 consumers on one channel of capacity 64, 2M messages in all (wall time / messages)",
        "mutex": "64 tasks each locking one counter 20k times to increment it, every 10th time calling `yield_now`"
        " before unlocking (wall time / locks)",
    },
    target={"pingpong": "≤ 150"},
    ratio_peers=("tokio", "smol", "may"),
    crates=("tokio", "smol", "async-executor", "async-channel", "async-lock", "may"),
    peers_used="""Each runtime built as in the scheduler section. tokio: `tokio::sync::mpsc::channel`
  and `tokio::sync::Mutex`; tokio has no multi-consumer channel, so in `mpmc` the consumers share the one
  `mpsc::Receiver` behind a `tokio::sync::Mutex`, each taking it for one `recv`. smol: `smol::channel`
  (async-channel, multi-consumer) and `smol::lock::Mutex` (async-lock). may: `may::sync::mpsc::channel` in
  `pingpong` and `may::sync::mpmc::channel` in `mpmc`, both unbounded (may has no bounded channel: in
  `mpmc` its producers never wait for room, so it does less than the others), and `may::sync::Mutex`.
  coro: `coro::chan::bounded` and `coro::sync::Mutex`. coro's, tokio's and may's mutexes hand the lock to
  the longest waiter on unlock (FIFO); async-lock's lets a newcomer take it unless a waiter has starved for
  0.5 ms. The files in `bench/src/bin/` say the rest""",
)

SUITES = {s.name: s for s in (SCHEDULER, SYNC)}
QUICK_SCALE = 10


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)




def cargo_build(bins: list[str], features: list[str]) -> tuple[bool, str]:
    """Builds `bins` in release; returns (ok, the build's stderr)."""
    return build_bins(bins, features, BUILD_LOG, log)


def build(runtimes: list[str]) -> dict[str, str]:
    """Builds what is asked; returns {runtime: why it cannot run} for those that did not build."""
    BUILD_LOG.unlink(missing_ok=True)
    failed: dict[str, str] = {}
    peers = [r for r in runtimes if r != "coro"]
    if peers:
        ok, _ = cargo_build(peers, [])
        if not ok:  # find out which one
            for r in peers:
                ok, err = cargo_build([r], [])
                if not ok:
                    failed[r] = "build failed: " + first_error(err)
    if "coro" in runtimes:
        ok, err = cargo_build(["coro"], ["coro"])
        if not ok:
            failed["coro"] = "build failed: " + first_error(err)
    for r, why in failed.items():
        log(f"{r}: {why} (full output in {BUILD_LOG.relative_to(REPO)})")
    return failed


def first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.startswith("error"):
            return line.strip()
    lines = [l for l in stderr.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "?"


def cpus_for(workers: int, pin: bool) -> list[str]:
    """The `taskset` prefix that pins a run to `workers` CPUs (the first ones this process may use)."""
    if not pin or shutil.which("taskset") is None:
        return []
    allowed = sorted(os.sched_getaffinity(0))
    if workers > len(allowed):
        return []
    return ["taskset", "-c", ",".join(str(c) for c in allowed[:workers])]


def run_bin(runtime: str, workers: int, extra: list[str], args) -> tuple[list[dict], str | None]:
    """Runs one binary; returns its JSON lines and, if it failed, why."""
    argv = [*cpus_for(workers, args.pin), str(BIN_DIR / runtime), "--workers", str(workers), *extra]
    if args.quick:
        argv.append("--quick")
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return parse_lines(out), f"timed out after {args.timeout} s"
    rows = parse_lines(p.stdout)
    log(f"{runtime} workers={workers} {' '.join(extra)}: {time.perf_counter() - t0:.1f} s")
    if p.returncode != 0:
        tail = [l for l in p.stderr.splitlines() if l.strip()]
        why = next((l for l in tail if "panicked" in l), tail[-1] if tail else f"exit {p.returncode}")
        return rows, f"exit {p.returncode}: {why.strip()}"
    return rows, None


def parse_lines(out: str) -> list[dict]:
    rows = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return rows


def fmt(value: float | None, bench: str) -> str:
    if value is None:
        return "—"
    if bench == "idle" or value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def fmt_ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", choices=SUITES, default=SCHEDULER.name, help="what to measure (scheduler)")
    ap.add_argument("--write", action="store_true", help="update the suite's section of BENCHMARKS.md")
    ap.add_argument("--file", type=Path, default=BENCHMARKS_MD, help="the file --write updates (BENCHMARKS.md)")
    ap.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma-separated (default: all four)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts (default: 1,2)")
    ap.add_argument("--reps", type=int, default=5, help="timed rounds per measurement, after one warm-up (5)")
    ap.add_argument("--idle-reps", type=int, default=3, help="processes per idle-memory figure (3)")
    ap.add_argument(
        "--budget", type=float, default=2.0, help="seconds one timed round may take before it is scaled down (2)"
    )
    ap.add_argument("--timeout", type=int, default=120, help="limit for one process, in seconds (120)")
    ap.add_argument("--quick", action="store_true", help=f"counts divided by {QUICK_SCALE}, 3 reps; no --write")
    ap.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin runs with taskset")
    ap.add_argument("--no-build", dest="build", action="store_false", help="use the binaries already built")
    args = ap.parse_args()
    suite = SUITES[args.suite]
    runtimes = [r for r in args.runtimes.split(",") if r]
    workers_list = [int(w) for w in args.workers.split(",") if w]
    if unknown := [r for r in runtimes if r not in RUNTIMES]:
        ap.error(f"unknown runtime(s): {', '.join(unknown)}")
    if args.quick:
        if args.write:
            ap.error("--quick figures are not written to BENCHMARKS.md")
        args.reps = min(args.reps, 3)

    started = time.perf_counter()
    commit = git_commit()
    failed: dict[str, str] = build(runtimes) if args.build else {}
    for r in runtimes:
        if r not in failed and not (BIN_DIR / r).exists():
            failed[r] = f"no binary at {BIN_DIR / r}"
    runnable = [r for r in runtimes if r not in failed]

    load_before = os.getloadavg()
    # results[(runtime, workers, bench)] = {"median": .., "samples": [..], ...}
    results: dict[tuple[str, int, str], dict] = {}
    errors: dict[tuple[str, int], list[str]] = {}

    for w in workers_list:
        for r in runnable:
            extra = ["--bench", ",".join(suite.timed), "--reps", str(args.reps), "--budget", str(args.budget)]
            rows, err = run_bin(r, w, extra, args)
            for row in rows:
                results[(r, w, row["bench"])] = row
            if err:
                errors.setdefault((r, w), []).append(f"timed run: {err}")
        # Idle memory: a fresh process per sample, runtimes interleaved.
        idle: dict[str, list[dict]] = {r: [] for r in runnable}
        for _ in range(args.idle_reps if suite.idle else 0):
            for r in runnable:
                rows, err = run_bin(r, w, ["--bench", "idle"], args)
                idle[r] += rows
                if err:
                    errors.setdefault((r, w), []).append(f"idle run: {err}")
        for r, rows in idle.items():
            if rows:
                per_task = [row["median"] for row in rows]
                results[(r, w, "idle")] = {
                    **rows[0],
                    "median": statistics.median(per_task),
                    "samples": per_task,
                }

    load_after = os.getloadavg()
    elapsed = time.perf_counter() - started

    table = make_table(suite, runtimes, workers_list, results)
    raw = make_raw(suite, runtimes, workers_list, results)
    notes = make_notes(suite, runtimes, workers_list, failed, errors, results, args.budget)
    print("\n".join(table))
    if notes:
        print()
        print("\n".join(notes))
    log(f"done in {elapsed:.0f} s; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")

    if args.write:
        write_results(suite, args, table, raw, notes, load_before, load_after, commit)
        log(f"updated {args.file}")


def make_table(suite: Suite, runtimes, workers_list, results) -> list[str]:
    head = ["benchmark", "unit", "workers", *runtimes]
    ratios = [p for p in suite.ratio_peers if p in runtimes] if "coro" in runtimes else []
    head += [f"coro / {p}" for p in ratios]
    if "coro" in runtimes:
        head.append("coro target")
    table = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for bench in suite.benches:
        for w in workers_list:
            vals = {r: results.get((r, w, bench), {}).get("median") for r in runtimes}
            unit = next((results[(r, w, bench)]["unit"] for r in runtimes if (r, w, bench) in results), "")
            unit = unit or suite.unit[bench]
            cells = [f"`{bench}`", unit, str(w), *(fmt(vals[r], bench) for r in runtimes)]
            cells += [fmt_ratio(vals["coro"], vals[p]) for p in ratios]
            if "coro" in runtimes:
                cells.append(suite.target.get(bench, ""))
            table.append("| " + " | ".join(cells) + " |")
    return table


def make_raw(suite: Suite, runtimes, workers_list, results) -> list[str]:
    raw = []
    for w in workers_list:
        for r in runtimes:
            parts = []
            for bench in suite.benches:
                row = results.get((r, w, bench))
                if row:
                    parts.append(f"{bench} " + ", ".join(fmt(s, bench) for s in row["samples"]))
            if parts:
                raw.append(f"- {r}, {w} worker{'s' if w > 1 else ''}: " + "; ".join(parts))
    return raw


def make_notes(suite: Suite, runtimes, workers_list, failed, errors, results, budget) -> list[str]:
    notes = []
    for r, why in failed.items():
        notes.append(f"- {r}: not run ({why})")
    for (r, w), errs in errors.items():
        for e in errs:
            notes.append(f"- {r}, {w} worker(s): {e}")
    for w in workers_list:
        for r in runtimes:
            for bench in suite.benches:
                row = results.get((r, w, bench))
                if row and row.get("ops") != row.get("nominal_ops"):
                    why = (
                        "the most coroutine stacks `vm.max_map_count` allows"
                        if bench == "idle"
                        else f"a full round would take over {budget:g} s"
                    )
                    notes.append(
                        f"- {r}, {w} worker(s), `{bench}`: {row['ops']:,} operations per round instead of"
                        f" {row['nominal_ops']:,} ({why})"
                    )
    return notes








def write_results(suite: Suite, args, table, raw, notes, load_before, load_after, commit) -> None:
    command = " ".join(["python3", "bench/run.py", *sys.argv[1:]])
    rustc = cmd_out(["rustc", "--version"])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    pin = (
        "each run pinned with `taskset` to as many CPUs as it has workers"
        if args.pin and shutil.which("taskset")
        else "not pinned"
    )
    notes_text = ("\n\nNot measured, or measured differently:\n\n" + "\n".join(notes)) if notes else ""
    idle = (
        f"; idle memory is the median of {args.idle_reps}\nfresh processes" if suite.idle else ""
    )
    body = f"""## {suite.title}

Each runtime is its own binary of the `coro-bench` crate (`bench/`, a workspace of its own) and runs in its
own process; each measurement runs inside a root task spawned on the runtime and is timed there. Lower is
better everywhere; a ratio below 1x means coro is ahead. Timings are the median of {args.reps} rounds after a
warm-up round, in one process per runtime and worker count{idle}.

| benchmark | what |
|---|---|
{chr(10).join(f"| `{b}` | {suite.description[b]} |" for b in suite.benches)}

- Command: `{command}`
- Machine: {os.cpu_count()} CPUs (`nproc`: {cmd_out(["nproc"])}), {cpu_model()}, {platform.system()} {platform.machine()}; `{rustc}`
- Peers: {lock_versions(BENCH / "Cargo.lock", suite.crates)}. {suite.peers_used}
- Date: {date}; commit {commit} (at the start of the run); {pin}
- Load average (1 min): {load_before[0]:.1f} before, {load_after[0]:.1f} after

{chr(10).join(table)}{notes_text}

Every sample (ns{", or bytes for `idle`" if suite.idle else ""}):

{chr(10).join(raw)}
"""
    path: Path = args.file
    write_section(path, suite.name, body)


if __name__ == "__main__":
    main()
