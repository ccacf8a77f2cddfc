"""What the "real programs" drivers (bench/http.py, bench/redis.py) share: building coro's example and the
peers, a server process pinned to one CPU, one load-generator run measured against it, and the report.

A run: the server listens on a loopback port this module picked; the load generator (wrk, redis-benchmark),
pinned to another CPU, runs to completion; around it the driver reads the server's CPU time (utime + stime
of `/proc/PID/stat`, every thread), the load generator's (`getrusage(RUSAGE_CHILDREN)`: it is the only child
reaped in between) and the machine's busy time (`/proc/stat`), so that a run during which other processes
took CPU time can be told and run again. The figure that compares servers is **the server's CPU time per
request**: on this machine the load generator saturates its core first, so requests/s measures the pair.

The pinning, the quiet-machine checks and the rest of the echo benchmark's machinery come from bench/echo.py.
"""

from __future__ import annotations

import datetime
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from svg import Panel

from echo import add_run_control_args, busy_seconds, first_error, taskset, wait_quiet

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BENCH_TARGET = BENCH / "target"
REPO_TARGET = REPO / "target"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(tag: str, msg: str) -> None:
    print(f"[{tag}] {msg}", file=sys.stderr, flush=True)


# --- build ---------------------------------------------------------------------------------------------


def cargo_build(argv: list[str], cwd: Path, target: Path, build_log: Path) -> str | None:
    """Runs `cargo build --release ARGV` in `cwd` with target dir `target`; returns why it failed, or None."""
    cmd = ["cargo", "build", "--release", *argv]
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    build_log.parent.mkdir(parents=True, exist_ok=True)
    with build_log.open("a") as f:
        f.write(f"$ (cd {cwd} && {' '.join(cmd)})\n{p.stdout}{p.stderr}\n")
    return None if p.returncode == 0 else "build failed: " + first_error(p.stderr)


def build_coro_example(example: str, build_log: Path) -> str | None:
    """`cargo build --release --example EXAMPLE` in the repository root (binary in target/release/examples)."""
    return cargo_build(["--example", example], REPO, REPO_TARGET, build_log)


def build_bench_bins(bins: list[str], build_log: Path, features: list[str] = ()) -> str | None:
    """Builds binaries of the bench crate (the peers; with `features=["coro"]`, those on coro)."""
    argv = ["--manifest-path", str(BENCH / "Cargo.toml")]
    for f in features:
        argv += ["--features", f]
    for b in bins:
        argv += ["--bin", b]
    return cargo_build(argv, BENCH, BENCH_TARGET, build_log)


# --- one server, one run -------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on now (the OS's pick; a server started right after gets it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of every thread of `pid` (`/proc/PID/stat`), in seconds; None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 1 :].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class Server:
    """A server process pinned to `cpu`, listening on 127.0.0.1:`port`. Its standard input stays open (the
    bench crate's servers exit when it closes); its output goes to `log_path`."""

    def __init__(self, argv: list[str], port: int, cpu: int | None, env: dict[str, str], log_path: Path):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = log_path.open("w")
        self.port = port
        self.proc = subprocess.Popen(
            [*taskset(cpu), *argv], stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT, env=env
        )

    def wait_accepting(self, timeout: float) -> None:
        """Until a connection to the port succeeds; RuntimeError if the server exits or times out first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                    return
            except OSError as e:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"exited before accepting ({self.why_exited()})") from e
                if time.monotonic() > deadline:
                    raise RuntimeError(f"does not accept on 127.0.0.1:{self.port} after {timeout:g} s: {e}") from e
                time.sleep(0.05)

    def why_exited(self) -> str:
        tail = [l for l in self.log_path.read_text(errors="replace").splitlines() if l.strip()]
        why = next((l for l in tail if "panicked" in l), tail[-1] if tail else "")
        return f"exit {self.proc.poll()}" + (f": {why.strip()}" if why else "")

    def stop(self) -> None:
        """SIGTERM (and SIGKILL after 5 s): every server ends on it, whatever else it listens to."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()
        self._log.close()


@dataclass
class Measured:
    """One load-generator run against a server: its output and the CPU time each side took meanwhile."""

    stdout: str
    stderr: str
    returncode: int
    wall_s: float
    server_cpu_s: float
    client_cpu_s: float
    others_cpu_s: float  # the machine's busy time less the server's and the client's


def measure(server: Server, argv: list[str], cpu: int | None, timeout: float) -> Measured:
    """Runs the load generator `argv` pinned to `cpu` against `server`; raises RuntimeError if it times out,
    the server dies meanwhile, or its CPU time cannot be read."""
    s0, c0, b0, t0 = proc_cpu_seconds(server.proc.pid), children_cpu_seconds(), busy_seconds(), time.monotonic()
    try:
        p = subprocess.run([*taskset(cpu), *argv], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"{Path(argv[0]).name} timed out after {timeout:g} s") from e
    s1, c1, b1, t1 = proc_cpu_seconds(server.proc.pid), children_cpu_seconds(), busy_seconds(), time.monotonic()
    if server.proc.poll() is not None:
        raise RuntimeError(f"the server died during the run ({server.why_exited()})")
    if s0 is None or s1 is None:
        raise RuntimeError(f"cannot read /proc/{server.proc.pid}/stat")
    server_cpu, client_cpu = s1 - s0, c1 - c0
    others = max(0.0, (b1 - b0) - server_cpu - client_cpu) if b0 is not None and b1 is not None else 0.0
    return Measured(p.stdout, p.stderr, p.returncode, t1 - t0, server_cpu, client_cpu, others)


def quiet_enough(max_others: float, tag: str) -> None:
    """Waits (up to 30 s) for the machine to be idle before a run; says so if it stays busy."""
    busy = wait_quiet(max_others, patience=30)
    if busy > max_others:
        log(tag, f"the machine stays busy ({busy * 100:.0f}% of a core): running anyway")


# --- results -------------------------------------------------------------------------------------------


@dataclass
class Samples:
    """The runs of one server in one configuration: a dict of figures per run."""

    rows: list[dict] = field(default_factory=list)

    def median(self, key: str) -> float | None:
        vals = [r[key] for r in self.rows if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    def spread(self, key: str) -> tuple[float, float] | None:
        vals = [r[key] for r in self.rows if r.get(key) is not None]
        return (min(vals), max(vals)) if vals else None

    def listed(self, key: str, fmt: str) -> str:
        return ", ".join(format(r[key], fmt) for r in self.rows if r.get(key) is not None)


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def num(v: float | None, digits: int = 0) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def with_spread(s: Samples, key: str, digits: int) -> str:
    m, sp = s.median(key), s.spread(key)
    if m is None:
        return "—"
    return num(m, digits) + (f" ({sp[0]:,.{digits}f}–{sp[1]:,.{digits}f})" if len(s.rows) > 1 else "")


def markdown_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def derive(row: dict, m: Measured, requests: int) -> dict:
    """Adds the figures every run has: CPU per request, server / client CPU, each side's share of a core."""
    row["requests"] = requests
    row["cpu_ns_per_req"] = m.server_cpu_s / requests * 1e9
    row["cpu_vs_client"] = m.server_cpu_s / m.client_cpu_s if m.client_cpu_s > 0 else None
    row["server_util"] = m.server_cpu_s / m.wall_s
    row["client_util"] = m.client_cpu_s / m.wall_s
    row["others_util"] = m.others_cpu_s / m.wall_s
    return row


# --- the driver's loop, options and output -------------------------------------------------------------


def add_common_args(ap) -> None:
    """The options both drivers take (the echo benchmark's, where it has them)."""
    ap.add_argument("--write", action="store_true", help="update the section of BENCHMARKS.md, and the plot")
    ap.add_argument("--file", type=Path, default=REPO / "BENCHMARKS.md", help="the file --write updates")
    ap.add_argument("--reps", type=int, default=5, help="runs per server and configuration; medians reported (5)")
    ap.add_argument("--duration", type=int, default=3, help="seconds of load in a measured run (3)")
    ap.add_argument("--quick", action="store_true", help="1 run of 1 s each: a smoke test; no --write")
    add_run_control_args(ap)
    ap.add_argument("--coro-bin", type=Path, help="run this binary as coro's server instead of building the example")


def check_common_args(ap, args) -> None:
    if args.quick:
        if args.write:
            ap.error("--quick figures are not written to BENCHMARKS.md")
        args.reps, args.duration = 1, 1
    if args.reps < 1 or args.duration < 1:
        ap.error("--reps and --duration must be at least 1")


def run_all(tag: str, configs: list[str], servers: list[str], run_one, args) -> tuple[dict, list[str]]:
    """Runs `run_one(server, config) -> (row or None, error or None)` --reps times for every configuration
    and server, servers interleaved (the order rotates every repetition), a run disturbed by other processes
    run again up to --retries times. Returns ({config: {server: Samples}}, notes on failed runs)."""
    results: dict[str, dict[str, Samples]] = {c: {} for c in configs}
    notes: list[str] = []
    for rep in range(args.reps):
        order = servers[rep % len(servers) :] + servers[: rep % len(servers)] if servers else []
        for config in configs:
            for s in order:
                for attempt in range(args.retries + 1):
                    quiet_enough(args.max_others, tag)
                    row, err = run_one(s, config)
                    if not row or row["others_util"] <= args.max_others:
                        break
                    why = f"other processes took {row['others_util'] * 100:.0f}% of a core during the run"
                    if attempt < args.retries:
                        log(tag, f"rep {rep + 1}/{args.reps} {config} {s}: {why}; again")
                    else:
                        notes.append(f"- {s}, {config}, run {rep + 1}: {why} (kept)")
                if row:
                    row["rep"] = rep  # pairs the runs of one repetition (run back to back)
                    results[config].setdefault(s, Samples()).rows.append(row)
                    log(
                        tag,
                        f"rep {rep + 1}/{args.reps} {config} {s}: {row['cpu_ns_per_req']:,.0f} ns CPU/req,"
                        f" {row['rps']:,.0f} req/s, server {row['server_util'] * 100:.0f}%"
                        f" client {row['client_util'] * 100:.0f}% CPU, others {row['others_util'] * 100:.0f}%",
                    )
                if err:
                    notes.append(f"- {s}, {config}, run {rep + 1}: {err}")
                    log(tag, f"rep {rep + 1}/{args.reps} {config} {s}: {err}")
    return results, notes


def write_plot(name: str, svg: str, write: bool) -> Path:
    """Saves a plot: bench/plots/NAME.svg with --write (BENCHMARKS.md shows it), else under bench/target."""
    path = (BENCH / "plots" if write else BENCH_TARGET / "plots") / f"{name}.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg)
    return path


def cpu_panels(results: dict[str, dict[str, Samples]], place) -> list[Panel]:
    """The plot's panels: (median, min, max) CPU ns/request of each server in each configuration, the
    configuration placed by `place(config) -> (panel title, group)`; panels and groups in results' order."""
    panels: dict[str, Panel] = {}
    for config, by_server in results.items():
        title, group = place(config)
        p = panels.setdefault(title, Panel(title, "CPU ns/request", [], {}))
        if group not in p.groups:
            p.groups.append(group)
        for s, samples in by_server.items():
            m, sp = samples.median("cpu_ns_per_req"), samples.spread("cpu_ns_per_req")
            if m is not None:
                p.values[(group, s)] = (m, *sp)
    return list(panels.values())


def report_text(tables: list[tuple[str, list[str]]], targets: list[str], notes: list[str]) -> str:
    """A section's tables (title, markdown lines), its lines on the issue's targets, and its notes."""
    text = "\n\n".join(f"{title}:\n\n" + "\n".join(table) for title, table in tables)
    if targets:
        text += "\n\ncoro against the issue's target:\n\n" + "\n".join(targets)
    if notes:
        text += "\n\nNot measured, or with errors:\n\n" + "\n".join(notes)
    return text


def command_and_date(script: str) -> tuple[str, str]:
    """The command line that ran `script` (bench/NAME.py), and the date, for a section's header."""
    command = " ".join(["python3", f"bench/{script}", *sys.argv[1:]])
    return command, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
