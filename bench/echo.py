#!/usr/bin/env python3
"""Echo benchmark: coro's echo server against tokio, smol and may, and a plain mio loop as the baseline.

The servers and the load generator are binaries of the `coro-bench` crate next to this file:
`bench/src/bin/echo_{mio,coro,tokio,smol,may}.rs` (each file's header says how it is written) and
`bench/src/bin/echo_load.rs`, a plain mio client (none of the runtimes under test). This driver

1. builds them with `cargo build --release` (target dir bench/target): the load generator and the peers
   first, then coro on its own (`--features coro`), so that a server that does not compile is reported and
   skipped, not fatal;
2. for each repetition, each configuration (64 connections x 64 B, 512 connections x 1 KiB) and each server:
   starts the server pinned to one CPU (`taskset`), waits until it accepts, runs the load generator pinned to
   another CPU: every connection sends a message, waits for the whole echo and sends the next (closed loop);
   after --warmup seconds it counts the requests of the next --duration seconds, keeps their latencies, and
   reads the server's CPU time (`/proc/PID/stat` utime + stime, every thread) at the window's two ends;
   then closes the server's stdin, which ends it. The machine may be shared: each run first waits until the
   machine is idle, and is run again (--retries) if other processes took more than --max-others of a core
   during its window (the machine's busy time in /proc/stat less the server's and the client's);
3. prints, per configuration, the medians over the repetitions: the server's CPU time per request, p50 and
   p99 latency, requests/s, with ratios to the mio loop and to tokio, and with --write replaces the section
   between `<!-- echo:begin -->` and `<!-- echo:end -->` of BENCHMARKS.md (appending it if missing).

The loopback client keeps its own core busy (and the server's is close to busy too), so requests/s measures
the pair rather than the server; the server's CPU time per request is the figure that compares servers. Everything talks to 127.0.0.1 only, and every
process runs under a time limit.

    python3 bench/echo.py                      # build, run, print the tables (about 5 minutes once built)
    python3 bench/echo.py --write              # and update BENCHMARKS.md
    python3 bench/echo.py --quick              # 1 run of 2 s each: a smoke test (no --write)
    python3 bench/echo.py --servers mio,tokio --configs 64x64 --reps 1

Standard library only (Python 3.11+); needs cargo on PATH, and taskset with two CPUs for pinning.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks_md import cmd_out, cpu_model, git_commit, lock_versions, write_section
from cargo_bins import cargo_build as build_bins

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# The crates whose versions a section records.
PEER_CRATES = ("tokio", "smol", "async-executor", "async-io", "may", "mio")
TARGET_DIR = BENCH / "target"
BIN_DIR = TARGET_DIR / "release"
BUILD_LOG = TARGET_DIR / "echo-build.log"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"

# name: (binary, extra arguments). `tokio` is the multi-thread runtime with one worker (the work-stealing
# scheduler, as `#[tokio::main(worker_threads = 1)]` builds it); `tokio-ct` the current-thread runtime.
SERVERS: dict[str, tuple[str, list[str]]] = {
    "mio": ("echo_mio", []),
    "coro": ("echo_coro", []),
    "tokio": ("echo_tokio", []),
    "tokio-ct": ("echo_tokio", ["--current-thread"]),
    "smol": ("echo_smol", []),
    "may": ("echo_may", []),
}
LOAD_BIN = "echo_load"
BASELINE = "mio"
PEER = "tokio"
CONFIGS = "64x64,512x1024"
# The target for coro: CPU per request and p99 as ratios to the mio loop, and ahead of tokio.
TARGET_CPU = 1.00
TARGET_P99 = 1.2


def log(msg: str) -> None:
    print(f"[echo] {msg}", file=sys.stderr, flush=True)




# --- build ---------------------------------------------------------------------------------------------


def cargo_build(bins: list[str], features: list[str]) -> tuple[bool, str]:
    """Builds `bins` in release; returns (ok, the build's stderr)."""
    return build_bins(bins, features, BUILD_LOG, log)


def first_error(stderr: str) -> str:
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("error"):
            where = next((l.strip() for l in lines[i + 1 : i + 3] if l.strip().startswith("-->")), "")
            return f"{line.strip()} {where}".strip()
    lines = [l for l in lines if l.strip()]
    return lines[-1].strip() if lines else "?"


def build(servers: list[str]) -> tuple[dict[str, str], str | None]:
    """Builds the load generator and the servers asked for. Returns ({server: why it cannot run}, why the
    load generator cannot run or None)."""
    BUILD_LOG.unlink(missing_ok=True)
    failed: dict[str, str] = {}
    plain = sorted({SERVERS[s][0] for s in servers if s != "coro"})
    ok, err = cargo_build([LOAD_BIN, *plain], [])
    load_failed = None
    if not ok:  # find out which one
        for b in [LOAD_BIN, *plain]:
            ok, err = cargo_build([b], [])
            if not ok:
                why = "build failed: " + first_error(err)
                if b == LOAD_BIN:
                    load_failed = why
                for s in servers:
                    if SERVERS[s][0] == b:
                        failed[s] = why
    if "coro" in servers:
        ok, err = cargo_build([SERVERS["coro"][0]], ["coro"])
        if not ok:
            failed["coro"] = "build failed: " + first_error(err)
    for s, why in failed.items():
        log(f"{s}: {why} (full output in {BUILD_LOG.relative_to(REPO)})")
    return failed, load_failed


# --- one run -------------------------------------------------------------------------------------------


def taskset(cpu: int | None) -> list[str]:
    return [] if cpu is None else ["taskset", "-c", str(cpu)]


def busy_seconds() -> float | None:
    """The machine's busy CPU time so far (user, nice, system, irq, softirq of /proc/stat's `cpu` line)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    v = [int(x) for x in fields[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(max_busy: float, patience: float) -> float:
    """Waits (up to `patience` seconds) until the machine is idle, within `max_busy` of a core over 0.3 s:
    other processes (a build, another session's tests) would share the CPUs of the run. Returns the busy
    fraction last seen."""
    deadline = time.monotonic() + patience
    while True:
        b0, t0 = busy_seconds(), time.monotonic()
        time.sleep(0.3)
        b1, t1 = busy_seconds(), time.monotonic()
        if b0 is None or b1 is None:
            return 0.0
        busy = (b1 - b0) / (t1 - t0)
        if busy <= max_busy or time.monotonic() > deadline:
            return busy
        time.sleep(1.0)


class Server:
    """A running echo server: its process, its address, and what it printed."""

    def __init__(self, name: str, cpu: int | None):
        binary, extra = SERVERS[name]
        self.name = name
        self.proc = subprocess.Popen(
            [*taskset(cpu), str(BIN_DIR / binary), "127.0.0.1:0", *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.up = threading.Event()
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr, False), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _drain(self, pipe, lines: list[str], signal_up: bool) -> None:
        for line in pipe:
            lines.append(line.rstrip("\n"))
            if signal_up and line.startswith("listening on "):
                self.up.set()
        if signal_up:
            self.up.set()  # ended: wake the waiter, which finds no address

    def address(self, timeout: float) -> tuple[str, int]:
        """Waits for `listening on ADDR`, then until a connection is accepted."""
        if not self.up.wait(timeout):
            raise RuntimeError(f"did not print `listening on ADDR` within {timeout:g} s")
        line = next((l for l in self.stdout if l.startswith("listening on ")), None)
        if line is None:
            raise RuntimeError(f"exited before listening ({self.why_exited()})")
        host, _, port = line.removeprefix("listening on ").strip().rpartition(":")
        addr = (host, int(port))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(addr, timeout=1.0):
                    return addr
            except OSError as e:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"does not accept on {host}:{port}: {e}") from e
                time.sleep(0.05)

    def why_exited(self) -> str:
        code = self.proc.poll()
        tail = [l for l in self.stderr if l.strip()]
        why = next((l for l in tail if "panicked" in l), tail[-1] if tail else "")
        return f"exit {code}" + (f": {why.strip()}" if why else "")

    def stop(self) -> dict | None:
        """Closes stdin (the server prints its rusage totals and exits); kills it if it does not."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self._threads:
            t.join(timeout=1)
        for line in reversed(self.stdout):
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    pass
        return None


def run_one(name: str, conns: int, size: int, args) -> tuple[dict | None, str | None]:
    """One server, one configuration: returns the load generator's JSON with the derived figures, or why the
    run failed (a run in which a connection failed, or a wrong echo came back, gives no figures)."""
    server = Server(name, args.server_cpu)
    try:
        host, port = server.address(timeout=10)
        argv = [
            *taskset(args.client_cpu),
            str(BIN_DIR / LOAD_BIN),
            "--addr", f"{host}:{port}",
            "--conns", str(conns),
            "--size", str(size),
            "--warmup", str(args.warmup),
            "--duration", str(args.duration),
            "--server-pid", str(server.proc.pid),
            *(["--rate", str(args.rate)] if args.rate else []),
        ]  # fmt: skip
        limit = args.warmup + args.duration + 30
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            return None, f"the load generator timed out after {limit:g} s"
        if server.proc.poll() is not None:
            return None, f"the server died during the run ({server.why_exited()})"
        row = next((json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")), None)
        if p.returncode != 0 or row is None:
            tail = [l for l in p.stderr.splitlines() if l.strip()]
            return None, f"the load generator failed (exit {p.returncode}): {tail[-1] if tail else '?'}"
        if "server_cpu_s" not in row:
            return None, "could not read the server's CPU time from /proc"
        if row["requests"] == 0:
            return None, "no request completed"
        if row["errors"]:
            return None, f"{row['errors']} connection(s) failed, first: {row['first_errors'][0]}"
        row["cpu_us_per_req"] = row["server_cpu_s"] / row["requests"] * 1e6
        # Its user-space and kernel shares: the servers make the same system calls per request, so what a
        # runtime adds over the mio loop shows in user space.
        row["user_us_per_req"] = row["server_user_s"] / row["requests"] * 1e6
        row["system_us_per_req"] = row["server_system_s"] / row["requests"] * 1e6
        row["server_util"] = row["server_cpu_s"] / row["window_s"]
        row["client_util"] = row["client_cpu_s"] / row["window_s"]
        # The server's CPU per request in units of the client's: both ends of the same closed loop, measured
        # over the same window, so a machine that runs slower for a while (a shared host) slows both alike.
        row["cpu_vs_client"] = row["server_cpu_s"] / row["client_cpu_s"] if row["client_cpu_s"] > 0 else None
        row["others_util"] = row.get("others_cpu_s", 0.0) / row["window_s"]
        row["csw_per_req"] = (row.get("server_voluntary_csw", 0) + row.get("server_involuntary_csw", 0)) / row[
            "requests"
        ]
        if args.rate and row["rps"] < 0.95 * args.rate:
            return row, f"reached {row['rps']:,.0f} req/s of the {args.rate:,.0f} asked for"
        return row, None
    except RuntimeError as e:
        return None, str(e)
    finally:
        server.stop()


# --- report --------------------------------------------------------------------------------------------


def median_of(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}x"


def num(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.0f}%"


def make_table(servers: list[str], rows: dict[str, list[dict]]) -> list[str]:
    """One configuration's table: medians over the repetitions."""
    med = {s: {k: median_of(rows.get(s, []), k) for k in METRICS} for s in servers}
    base = med.get(BASELINE, {})
    peer = med.get(PEER, {})
    head = [
        "server", "CPU µs/req (min–max)", "CPU / mio", f"CPU / {PEER}", "user + kernel µs/req",
        "server / client CPU (min–max)",
        "that / mio", "p99 µs", "p99 / mio", f"p99 / {PEER}",
        "p50 µs", "req/s", "server CPU", "client CPU",
    ]  # fmt: skip
    table = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for s in servers:
        m = med[s]
        cpus = [r["cpu_us_per_req"] for r in rows.get(s, [])]
        spread = f" ({min(cpus):.2f}–{max(cpus):.2f})" if len(cpus) > 1 else ""
        norms = [r["cpu_vs_client"] for r in rows.get(s, []) if r.get("cpu_vs_client")]
        norm_spread = f" ({min(norms):.3f}–{max(norms):.3f})" if len(norms) > 1 else ""
        cells = [
            s,
            num(m["cpu_us_per_req"], 2) + spread,
            ratio(m["cpu_us_per_req"], base.get("cpu_us_per_req")),
            ratio(m["cpu_us_per_req"], peer.get("cpu_us_per_req")),
            f"{num(m['user_us_per_req'], 2)} + {num(m['system_us_per_req'], 2)}",
            num(m["cpu_vs_client"], 3) + norm_spread,
            ratio(m["cpu_vs_client"], base.get("cpu_vs_client")),
            num(m["p99_us"], 0),
            ratio(m["p99_us"], base.get("p99_us")),
            ratio(m["p99_us"], peer.get("p99_us")),
            num(m["p50_us"], 0),
            num(m["rps"], 0),
            pct(m["server_util"]),
            pct(m["client_util"]),
        ]
        table.append("| " + " | ".join(cells) + " |")
    return table


METRICS = ("cpu_us_per_req", "user_us_per_req", "system_us_per_req", "cpu_vs_client", "p50_us", "p99_us", "p999_us", "rps", "server_util", "client_util", "csw_per_req")


def paired_ratio(rows: list[dict], base_rows: list[dict], key: str) -> tuple[float, float, float, int] | None:
    """`key` of `rows` against `base_rows`, pairing the runs of the same repetition (run back to back, so they
    share the machine's state): the geometric mean of the per-pair ratios and a 95% bootstrap interval for it.
    None with fewer than 3 pairs."""
    base = {r["rep"]: r[key] for r in base_rows if r.get(key)}
    logs = [math.log(r[key] / base[r["rep"]]) for r in rows if r.get(key) and r["rep"] in base]
    if len(logs) < 3:
        return None
    draw = random.Random(0)  # the same interval for the same runs
    means = sorted(statistics.fmean(draw.choices(logs, k=len(logs))) for _ in range(4000))
    low, high = means[int(0.025 * len(means))], means[int(0.975 * len(means)) - 1]
    return math.exp(statistics.fmean(logs)), math.exp(low), math.exp(high), len(logs)


def paired_target_text(paired: tuple[float, float, float, int], peer: str, target: float, digits: int = 2) -> str:
    """A `paired_ratio` of CPU per request against `peer`, judged against `target`: met when the whole
    interval is at or below it, missed when the whole interval is above it."""
    r, low, high, n = paired
    verdict = "met" if high <= target else "missed" if low > target else "within the noise"
    return (
        f"CPU/request {r:.3f}x {peer}, 95% interval {low:.3f}–{high:.3f}x over {n} paired runs"
        f" (target ≤ {target:.{digits}f}x: {verdict})"
    )


def target_line(config: str, rows: dict[str, list[dict]]) -> str | None:
    """coro against the issue's target, for one configuration."""
    if not rows.get("coro"):
        return None
    cpu = {s: median_of(rows.get(s, []), "cpu_us_per_req") for s in ("coro", BASELINE, PEER, "tokio-ct")}
    p99 = {s: median_of(rows.get(s, []), "p99_us") for s in ("coro", BASELINE)}
    parts = []
    paired = paired_ratio(rows.get("coro", []), rows.get(BASELINE, []), "cpu_us_per_req")
    if paired:
        parts.append(paired_target_text(paired, "mio", TARGET_CPU))
    elif cpu[BASELINE]:
        r = cpu["coro"] / cpu[BASELINE]
        parts.append(f"CPU/request {r:.2f}x mio (target ≤ {TARGET_CPU:.2f}x: {'met' if r <= TARGET_CPU else 'missed'})")
    if p99[BASELINE]:
        r = p99["coro"] / p99[BASELINE]
        parts.append(f"p99 {r:.2f}x mio (target ≤ {TARGET_P99:.1f}x: {'met' if r <= TARGET_P99 else 'missed'})")
    split = {s: (median_of(rows.get(s, []), "user_us_per_req"), median_of(rows.get(s, []), "system_us_per_req"))
             for s in ("coro", BASELINE)}  # fmt: skip
    if all(split[BASELINE]) and all(split["coro"]):
        parts.append(
            f"user space {split['coro'][0] / split[BASELINE][0]:.2f}x mio's, kernel "
            f"{split['coro'][1] / split[BASELINE][1]:.2f}x"
        )
    if cpu[PEER]:
        r = cpu["coro"] / cpu[PEER]
        parts.append(f"CPU/request {r:.2f}x {PEER} (target < 1: {'met' if r < 1 else 'missed'})")
    if cpu["tokio-ct"]:
        parts.append(f"{cpu['coro'] / cpu['tokio-ct']:.2f}x tokio-ct")
    norm = paired_ratio(rows.get("coro", []), rows.get(BASELINE, []), "cpu_vs_client")
    if norm:
        r, low, high, _ = norm
        parts.append(f"server / client CPU {r:.3f}x mio's, 95% interval {low:.3f}–{high:.3f}x")
    return f"- {config}, coro: " + "; ".join(parts) if parts else None


def make_raw(servers, configs, results) -> list[str]:
    raw = []
    for conns, size in configs:
        key = f"{conns}x{size}"
        for s in servers:
            rows = results.get(key, {}).get(s, [])
            if rows:
                cpu = ", ".join(f"{r['cpu_us_per_req']:.2f}" for r in rows)
                norm = ", ".join(f"{r['cpu_vs_client']:.3f}" for r in rows if r.get("cpu_vs_client"))
                p99 = ", ".join(f"{r['p99_us']:.0f}" for r in rows)
                rps = ", ".join(f"{r['rps']:,.0f}" for r in rows)
                csw = ", ".join(f"{r['csw_per_req']:.3f}" for r in rows)
                others = ", ".join(f"{r['others_util'] * 100:.0f}%" for r in rows)
                per_conn = ", ".join(f"{r['min_per_conn']:,}–{r['max_per_conn']:,}" for r in rows)
                sys_share = ", ".join(
                    f"{r['server_system_s'] / r['server_cpu_s'] * 100:.0f}%" for r in rows if r["server_cpu_s"] > 0
                )
                raw.append(
                    f"- {conns} x {fmt_size(size)}, {s}: CPU µs/req {cpu}; server / client CPU {norm}; p99 µs {p99};"
                    f" req/s {rps};"
                    f" requests per connection {per_conn}; context switches/req {csw};"
                    f" system share of CPU {sys_share}; others {others}"
                )
    return raw


def fmt_size(size: int) -> str:
    return f"{size // 1024} KiB" if size % 1024 == 0 else f"{size} B"








# --- main ----------------------------------------------------------------------------------------------


def raise_nofile(conns: int) -> None:
    """Enough descriptors for the client's connections (inherited by the children: servers and client)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, 2 * conns + 256)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def pick_cpus(args) -> str:
    """Sets args.server_cpu and args.client_cpu; returns how the runs are pinned, in words."""
    allowed = sorted(os.sched_getaffinity(0))
    if not args.pin or shutil.which("taskset") is None or len(allowed) < 2:
        args.server_cpu = args.client_cpu = None
        why = "--no-pin" if not args.pin else ("no taskset" if shutil.which("taskset") is None else "one CPU")
        return f"not pinned ({why})"
    args.server_cpu = allowed[0] if args.server_cpu is None else args.server_cpu
    args.client_cpu = allowed[1] if args.client_cpu is None else args.client_cpu
    return f"server pinned to CPU {args.server_cpu}, load generator to CPU {args.client_cpu} (`taskset`)"



def add_run_control_args(ap) -> None:
    """How runs are placed and repeated: the options every server benchmark driver shares."""
    ap.add_argument(
        "--max-others",
        type=float,
        default=0.05,
        help="a run during which other processes took more than this share of a core is run again (0.05)",
    )
    ap.add_argument("--retries", type=int, default=2, help="how many times a disturbed run is run again (2)")
    ap.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin with taskset")
    ap.add_argument("--server-cpu", type=int, help="CPU for the server (default: the first one allowed)")
    ap.add_argument("--client-cpu", type=int, help="CPU for the load generator (default: the second one)")
    ap.add_argument("--no-build", dest="build", action="store_false", help="use the binaries already built")

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="update the echo section of BENCHMARKS.md")
    ap.add_argument("--file", type=Path, default=BENCHMARKS_MD, help="the file --write updates (BENCHMARKS.md)")
    ap.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated (default: {','.join(SERVERS)})")
    ap.add_argument("--configs", default=CONFIGS, help=f"CONNSxBYTES, comma-separated (default: {CONFIGS})")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of load before the window (1)")
    ap.add_argument("--duration", type=float, default=3.0, help="seconds in the measured window (3)")
    ap.add_argument("--reps", type=int, default=5, help="runs per server and configuration; medians reported (5)")
    ap.add_argument(
        "--rate",
        type=float,
        help="paced instead of flat out: this many requests/s in all (each connection still waits for its echo)",
    )
    ap.add_argument("--quick", action="store_true", help="1 run of 2 s after 0.5 s: a smoke test; no --write")
    add_run_control_args(ap)
    args = ap.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    if unknown := [s for s in servers if s not in SERVERS]:
        ap.error(f"unknown server(s): {', '.join(unknown)}; known: {', '.join(SERVERS)}")
    try:
        configs = [tuple(int(x) for x in c.lower().split("x")) for c in args.configs.split(",") if c]
        assert all(len(c) == 2 and c[0] > 0 and c[1] > 0 for c in configs)
    except (ValueError, AssertionError):
        ap.error("--configs takes CONNSxBYTES[,CONNSxBYTES..], e.g. 64x64,512x1024")
    if args.quick:
        if args.write:
            ap.error("--quick figures are not written to BENCHMARKS.md")
        args.reps, args.warmup, args.duration = 1, 0.5, 2.0
    if args.reps < 1 or args.duration <= 0 or args.warmup < 0:
        ap.error("--reps must be at least 1, --duration positive, --warmup not negative")

    started = time.perf_counter()
    commit = git_commit()
    raise_nofile(max(c for c, _ in configs))
    pin = pick_cpus(args)
    failed: dict[str, str] = {}
    if args.build:
        failed, load_failed = build(servers)
        if load_failed:
            sys.exit(f"echo_load: {load_failed}; see {BUILD_LOG}")
    for s in servers:
        if s not in failed and not (BIN_DIR / SERVERS[s][0]).exists():
            failed[s] = f"no binary at {BIN_DIR / SERVERS[s][0]}"
    if not (BIN_DIR / LOAD_BIN).exists():
        sys.exit(f"no load generator at {BIN_DIR / LOAD_BIN}")
    runnable = [s for s in servers if s not in failed]
    log(pin)

    load_before = os.getloadavg()
    # results["64x64"][server] = [row per repetition]
    results: dict[str, dict[str, list[dict]]] = {}
    errors: list[str] = []
    for rep in range(args.reps):
        # Rotate the order every repetition, so no server always runs right after the same one.
        order = runnable[rep % len(runnable) :] + runnable[: rep % len(runnable)] if runnable else []
        for conns, size in configs:
            key = f"{conns}x{size}"
            for s in order:
                for attempt in range(args.retries + 1):
                    busy = wait_quiet(args.max_others, patience=30)
                    if busy > args.max_others:
                        log(f"the machine stays busy ({busy * 100:.0f}% of a core): running anyway")
                    row, err = run_one(s, conns, size, args)
                    if not row or row["others_util"] <= args.max_others:
                        break
                    why = f"other processes took {row['others_util'] * 100:.0f}% of a core during the window"
                    if attempt < args.retries:
                        log(f"rep {rep + 1}/{args.reps} {key} {s}: {why}; again")
                    else:
                        row["disturbed"] = True
                        errors.append(f"- {s}, {conns} x {fmt_size(size)}, run {rep + 1}: {why} (kept)")
                if row:
                    row["rep"] = rep
                    results.setdefault(key, {}).setdefault(s, []).append(row)
                    log(
                        f"rep {rep + 1}/{args.reps} {key} {s}: {row['cpu_us_per_req']:.2f} µs CPU/req,"
                        f" p99 {row['p99_us']:.0f} µs, {row['rps']:,.0f} req/s,"
                        f" server {row['server_util'] * 100:.0f}% client {row['client_util'] * 100:.0f}% CPU"
                    )
                if err:
                    errors.append(f"- {s}, {conns} x {fmt_size(size)}, run {rep + 1}: {err}")
                    log(f"rep {rep + 1}/{args.reps} {key} {s}: {err}")
    load_after = os.getloadavg()
    elapsed = time.perf_counter() - started

    tables = []
    for conns, size in configs:
        key = f"{conns}x{size}"
        tables.append((f"{conns} connections x {fmt_size(size)}", make_table(servers, results.get(key, {}))))
    targets = [t for (conns, size) in configs if (t := target_line(f"{conns} x {fmt_size(size)}", results.get(f"{conns}x{size}", {})))]
    notes = [f"- {s}: not run ({why})" for s, why in failed.items()] + errors
    for title, table in tables:
        print(f"\n{title}\n")
        print("\n".join(table))
    if targets:
        print("\n" + "\n".join(targets))
    if notes:
        print("\n" + "\n".join(notes))
    log(f"done in {elapsed:.0f} s; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")

    if args.write:
        raw = make_raw(servers, configs, results)
        write_results(args, pin, tables, targets, notes, raw, load_before, load_after, commit)
        log(f"updated {args.file}")


def write_results(args, pin, tables, targets, notes, raw, load_before, load_after, commit) -> None:
    command = " ".join(["python3", "bench/echo.py", *sys.argv[1:]])
    rustc = cmd_out(["rustc", "--version"])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tables_text = "\n\n".join(f"{title}:\n\n" + "\n".join(table) for title, table in tables)
    targets_text = ("\n\ncoro against the issue's target:\n\n" + "\n".join(targets)) if targets else ""
    notes_text = ("\n\nNot measured, or with errors:\n\n" + "\n".join(notes)) if notes else ""
    pacing = (
        f"\n\n**Paced run** (`--rate {args.rate:g}`): every connection waits for its echo as above, and the\n"
        f"connections together send at most {args.rate:,.0f} requests/s, so every server does the same work per\n"
        "second, below saturation."
        if args.rate
        else ""
    )
    body = f"""## Echo server: coro against tokio, smol, may and a plain mio loop

One echo server binary per runtime (`bench/src/bin/echo_*.rs`), each on one worker and written as that
runtime's users write it: a task (or coroutine) per connection that reads into a 4 KiB buffer and writes each
read back with `write_all`. The baseline, `mio`, is a plain single-threaded mio event loop with no runtime
(edge-triggered, a slab of connections, partial writes kept and sent on the writable edge). The load generator
(`echo_load`, a plain mio loop) keeps every connection busy in a closed loop: send a message, wait for the
whole echo, check it, send the next. It counts the requests of a {args.duration:g} s window after a
{args.warmup:g} s warm-up and reads the server's CPU time (utime + stime of `/proc/PID/stat`, every thread)
at the window's two ends. The client keeps its own core busy (the server's is close to busy too), so req/s
measures the pair rather than the server: **the server's CPU time per request** is the figure that compares
servers, and p99 the latency under that load. Lower is better everywhere but req/s; a ratio below 1x means the
row is ahead of the mio loop (or of tokio). Every figure is the median of {args.reps} runs, each in a fresh
server process, servers interleaved; the CPU column also gives the smallest and largest run, and a ratio
closer to 1x than that spread is within the noise. The
machine is shared (other sessions build and test on it), so a run waits until the machine is idle, and a run
during which other processes took over {args.max_others * 100:g}% of a core (its busy time in `/proc/stat` less
the server's and the client's) is run again, up to {args.retries} times.{pacing}

- `tokio`: a multi-thread runtime with `worker_threads(1)` and `enable_all()`, as `#[tokio::main]` builds it
  (the work-stealing scheduler, like coro's); `tokio-ct`: the current-thread runtime, tokio's cheapest
  single-threaded setup. `smol`: `block_on(executor.run(..))` on one thread (plus async-io's reactor thread).
  `may`: `set_workers(1)`. `coro`: `#[coro::main(workers = 1)]` (no thread but main). `mio`: reads until the
  socket is drained (`WouldBlock`, or a read shorter than the buffer, as tokio does)
- Command: `{command}`
- Machine: {os.cpu_count()} CPUs (`nproc`: {cmd_out(["nproc"])}), {cpu_model()}, {platform.system()} {platform.machine()}; `{rustc}`
- Peers: {lock_versions(BENCH / "Cargo.lock", PEER_CRATES)}
- Date: {date}; commit {commit} (at the start of the run); {pin}
- Load average (1 min): {load_before[0]:.1f} before, {load_after[0]:.1f} after

{tables_text}

"user + kernel" splits the CPU time per request into user space and kernel (utime and stime); every server
makes the same system calls per request, so a runtime's own work shows in the first. "server CPU" and
"client CPU" are each process's CPU time over the window (100% = one core busy). "server /
client CPU" divides the server's CPU time by the load generator's over the same window: the server's CPU per
request in units of the client's, which does the same work per request whatever the server. On a shared
virtual machine both ends slow down together when the host is busy, so this ratio varies far less from run to
run than the CPU time per request (compare the min–max ranges); judge small differences by it. The target
lines pair each coro run with the mio loop's run of the same repetition (back to back) and give the geometric
mean of the per-pair ratios with a 95% bootstrap interval: the target is met when the whole interval is at or
below it, missed when the whole interval is above it, and within the noise otherwise.{targets_text}{notes_text}

Every run (CPU µs per request, server / client CPU, p99 µs, req/s, the fewest and most requests one connection completed, the
server's context switches per request, the share of its CPU time spent in the kernel, and the share of a core
that other processes took during the window):

{chr(10).join(raw)}
"""
    write_section(args.file, "echo", body)


if __name__ == "__main__":
    main()
