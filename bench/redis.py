#!/usr/bin/env python3
"""Redis benchmark: coro's redis example against redis-server, driven by redis-benchmark (GET and SET, with
and without pipelining).

The servers, each on one CPU:

- `coro`: the repository's example, `examples/redis/main.rs`, built with `cargo build --release --example redis`
  in the repository root and run as `target/release/examples/redis 127.0.0.1:PORT` with `CORO_WORKERS=1`;
- `redis-server`: the system's (`redis-server` on PATH, Debian's package), run as `redis-server --bind
  127.0.0.1 --port PORT --save '' --appendonly no` (no persistence: memory only, like the example).

This driver

1. builds coro's example (target/), reporting it if it does not build;
2. calibrates once: runs redis-benchmark against redis-server (or the first server that starts) at each depth
   and sizes every test so that it takes about --duration seconds there (`-n`), the same count for every
   server and repetition;
3. for each repetition, each depth (--depths, default 1 and 16), each test (SET, then GET) and each server:
   starts the server pinned to one CPU (`taskset`) on a free loopback port, waits until it accepts, warms it
   up (a tenth of the count of SET and GET, which also stores the key GET reads), checks that GET answers a
   value of SET's size (redis-benchmark counts error replies as requests), then runs
   `redis-benchmark -t TEST -n N -c CONNS -P DEPTH --csv` pinned to the other CPU, measured: the server's CPU
   time (`/proc/PID/stat` utime + stime, every thread) and redis-benchmark's over that run. A run waits for the
   machine to be idle, and is run again if other processes took CPU time meanwhile (bench/serverbench.py);
4. prints per depth the medians over the repetitions: **the server's CPU time per request**, server / client
   CPU, requests/s and p99 latency as redis-benchmark gives them, and the ratios to redis-server; with --write
   replaces the `redis` section of BENCHMARKS.md and writes the plot bench/plots/redis-cpu.svg.

    python3 bench/redis.py                     # build, run, print (about 3 minutes once built, on a quiet machine)
    python3 bench/redis.py --write             # and update BENCHMARKS.md and the plot
    python3 bench/redis.py --quick             # 1 run of about 1 s each: a smoke test (no --write)
    python3 bench/redis.py --coro-bin path/to/server   # a coro server built elsewhere

Standard library only (Python 3.11+); needs cargo, redis-server and redis-benchmark (Debian: apt-get install
redis-server redis-tools), and taskset with two CPUs for pinning.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import socket
import subprocess
import sys
import time

from benchmarks_md import cmd_out, cpu_model, git_commit, write_section
from echo import pick_cpus, raise_nofile
from serverbench import (
    BENCH_TARGET,
    REPO,
    REPO_TARGET,
    Server,
    add_common_args,
    build_coro_example,
    check_common_args,
    command_and_date,
    cpu_panels,
    derive,
    free_port,
    log as log_as,
    markdown_table,
    measure,
    num,
    report_text,
    ratio,
    run_all,
    taskset,
    with_spread,
    write_plot,
)
from svg import figure

TAG = "redis"
BUILD_LOG = BENCH_TARGET / "redis-build.log"
SERVERS = ("coro", "redis-server")
CORO_EXAMPLE = "redis"
REFERENCE = "redis-server"
TESTS = ("SET", "GET")
# The issue's target: coro's CPU per request no more than redis-server's.
TARGET_CPU = 1.00


def log(msg: str) -> None:
    log_as(TAG, msg)


def depth_label(depth: int) -> str:
    return "no pipelining" if depth == 1 else f"pipelined, -P {depth}"


def config_of(test: str, depth: int) -> str:
    return f"{test} {depth_label(depth)}"


def server_argv(name: str, port: int, args) -> list[str]:
    if name == "coro":
        return [str(args.coro_bin or REPO_TARGET / "release" / "examples" / CORO_EXAMPLE), f"127.0.0.1:{port}"]
    return ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]


def start(name: str, args) -> Server:
    port = free_port()
    env = dict(os.environ, CORO_WORKERS="1")
    log_path = BENCH_TARGET / "logs" / f"redis-{name}.log"
    server = Server(server_argv(name, port, args), port, args.server_cpu, env, log_path)
    try:
        server.wait_accepting(timeout=10)
    except RuntimeError:
        server.stop()
        raise
    return server


def bench_argv(port: int, tests: str, n: int, depth: int, args) -> list[str]:
    return [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", tests, "-n", str(n),
        "-c", str(args.conns), "-P", str(depth), "--csv",
    ]  # fmt: skip


def parse_csv(out: str) -> dict[str, dict]:
    """redis-benchmark's --csv output: {test: {column: value}} (columns: rps, p99_latency_ms, ...)."""
    rows = list(csv.reader(line for line in out.splitlines() if line.startswith('"')))
    if not rows or rows[0][0] != "test":
        return {}
    head = rows[0]
    return {r[0]: dict(zip(head[1:], (float(v) for v in r[1:]))) for r in rows[1:] if len(r) == len(head)}


def calibrate(servers: list[str], depths: list[int], args) -> dict[tuple[str, int], int]:
    """-n for each (test, depth): about --duration seconds of that test against the reference server."""
    counts = {}
    for name in sorted(servers, key=lambda s: s != REFERENCE):
        try:
            server = start(name, args)
        except RuntimeError as e:
            log(f"calibration on {name}: {e}")
            continue
        try:
            for d in depths:
                n = 20_000 * d
                p = subprocess.run([*taskset(args.client_cpu), *bench_argv(server.port, "set,get", n, d, args)],
                                   capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
                got = parse_csv(p.stdout)
                for test in TESTS:
                    rps = got.get(test, {}).get("rps")
                    if not rps:
                        raise RuntimeError(f"no {test} figure from redis-benchmark: {p.stderr.strip()[-200:]}")
                    counts[(test, d)] = max(1000, int(round(rps * args.duration, -3)))
            log(f"calibrated on {name}: " + ", ".join(f"{t} -P {d}: -n {n:,}" for (t, d), n in counts.items()))
            return counts
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log(f"calibration on {name}: {e}")
        finally:
            server.stop()
    return counts


# redis-benchmark's key (without -r); its SET stores a 3-byte value there (-d 3; random bytes in redis 7).
CHECK_GET = b"*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n"
CHECK_PREFIX, CHECK_LEN = b"$3\r\n", len(b"$3\r\nxxx\r\n")


def check_get(port: int) -> str | None:
    """Whether the server answers GET with the 3-byte value redis-benchmark's SET stored (redis-benchmark
    itself counts error replies as requests); returns what is wrong, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(CHECK_GET)
            reply = b""
            while len(reply) < CHECK_LEN and (chunk := s.recv(64)):
                reply += chunk
    except OSError as e:
        return f"GET after SET: {e}"
    if reply.startswith(CHECK_PREFIX) and len(reply) == CHECK_LEN and reply.endswith(b"\r\n"):
        return None
    return f"GET after SET answered {reply[:60]!r}, not a 3-byte bulk string"


def run_one(name: str, config: str, test: str, depth: int, n: int, args) -> tuple[dict | None, str | None]:
    """One server, one test at one depth: redis-benchmark's figures and the derived ones, or why it failed."""
    try:
        server = start(name, args)
    except RuntimeError as e:
        return None, str(e)
    try:
        warmup = bench_argv(server.port, "set,get", max(n // 10, 1000), depth, args)
        subprocess.run([*taskset(args.client_cpu), *warmup], capture_output=True, timeout=120, check=False)
        if wrong := check_get(server.port):
            return None, wrong
        m = measure(server, bench_argv(server.port, test.lower(), n, depth, args), args.client_cpu, timeout=300)
        got = parse_csv(m.stdout).get(test)
        if m.returncode != 0 or not got:
            tail = [l for l in (m.stderr + m.stdout).splitlines() if l.strip()]
            return None, f"redis-benchmark failed (exit {m.returncode}): {tail[-1] if tail else '?'}"
        row = {"rps": got["rps"], "p50_ms": got.get("p50_latency_ms"), "p99_ms": got.get("p99_latency_ms")}
        return derive(row, m, n), None
    except RuntimeError as e:
        return None, str(e)
    finally:
        server.stop()


# --- report --------------------------------------------------------------------------------------------


def make_table(servers: list[str], depth: int, results: dict, counts: dict) -> list[str]:
    head = [
        "test", "server", "CPU ns/req (min–max)", f"CPU / {REFERENCE}", "server / client CPU", f"that / {REFERENCE}",
        "req/s", "p99 ms", "p50 ms", "server CPU", "client CPU",
    ]  # fmt: skip
    rows = []
    for test in TESTS:
        by_server = results.get(config_of(test, depth), {})
        ref = by_server.get(REFERENCE)
        for s in servers:
            x = by_server.get(s)
            if x is None:
                rows.append([f"{test} (-n {counts.get((test, depth), 0):,})", s] + ["—"] * (len(head) - 2))
                continue
            med = x.median
            rows.append([
                f"{test} (-n {counts[(test, depth)]:,})",
                s,
                with_spread(x, "cpu_ns_per_req", 0),
                ratio(med("cpu_ns_per_req"), ref and ref.median("cpu_ns_per_req")),
                num(med("cpu_vs_client"), 3),
                ratio(med("cpu_vs_client"), ref and ref.median("cpu_vs_client")),
                num(med("rps")),
                num(med("p99_ms"), 3),
                num(med("p50_ms"), 3),
                f"{med('server_util') * 100:.0f}%",
                f"{med('client_util') * 100:.0f}%",
            ])  # fmt: skip
    return markdown_table(head, rows)


def target_lines(configs: list[str], results: dict) -> list[str]:
    lines = []
    for config in configs:
        coro, ref = (results.get(config, {}).get(s) for s in ("coro", REFERENCE))
        if not coro or not ref:
            continue
        r = coro.median("cpu_ns_per_req") / ref.median("cpu_ns_per_req")
        norm = ratio(coro.median("cpu_vs_client"), ref.median("cpu_vs_client"))
        lines.append(
            f"- {config}, coro: CPU/request {r:.2f}x {REFERENCE} (target ≤ {TARGET_CPU:.2f}x:"
            f" {'met' if r <= TARGET_CPU else 'missed'}); server / client CPU {norm} {REFERENCE}'s"
        )
    return lines


def make_raw(servers: list[str], configs: list[str], results: dict) -> list[str]:
    raw = []
    for config in configs:
        for s in servers:
            x = results.get(config, {}).get(s)
            if x:
                raw.append(
                    f"- {config}, {s}: CPU ns/req {x.listed('cpu_ns_per_req', ',.0f')};"
                    f" server / client CPU {x.listed('cpu_vs_client', '.3f')}; req/s {x.listed('rps', ',.0f')};"
                    f" other processes {x.listed('others_util', '.0%')} of a core"
                )
    return raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(ap)
    ap.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated (default: {','.join(SERVERS)})")
    ap.add_argument("--depths", default="1,16", help="pipelining depths (-P), comma-separated (default: 1,16)")
    ap.add_argument("--conns", type=int, default=50, help="redis-benchmark's connections (-c, 50)")
    args = ap.parse_args()
    check_common_args(ap, args)
    servers = [s for s in args.servers.split(",") if s]
    if unknown := [s for s in servers if s not in SERVERS]:
        ap.error(f"unknown server(s): {', '.join(unknown)}; known: {', '.join(SERVERS)}")
    try:
        depths = [int(d) for d in args.depths.split(",") if d]
        assert depths and all(d >= 1 for d in depths)
    except (ValueError, AssertionError):
        ap.error("--depths takes positive integers, e.g. 1,16")
    for tool in ("redis-benchmark", *(["redis-server"] if "redis-server" in servers else [])):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH (Debian: apt-get install redis-server redis-tools)")

    started = time.perf_counter()
    commit = git_commit()
    raise_nofile(args.conns)
    pin = pick_cpus(args)
    failed = {}
    if "coro" in servers and not args.coro_bin:
        if args.build:
            BUILD_LOG.unlink(missing_ok=True)
            log(f"cargo build --release --example {CORO_EXAMPLE}")
            if why := build_coro_example(CORO_EXAMPLE, BUILD_LOG):
                failed["coro"] = why
                log(f"coro: {why} (full output in {BUILD_LOG.relative_to(REPO)})")
    if "coro" in servers and "coro" not in failed and not os.path.exists(server_argv("coro", 0, args)[0]):
        failed["coro"] = f"no binary at {server_argv('coro', 0, args)[0]}"
    runnable = [s for s in servers if s not in failed]
    log(pin)

    load_before = os.getloadavg()
    counts = calibrate(runnable, depths, args) if runnable else {}
    configs = [config_of(t, d) for d in depths for t in TESTS]
    what = {config_of(t, d): (t, d) for d in depths for t in TESTS}
    if counts:
        results, errors = run_all(
            TAG, configs, runnable, lambda s, c: run_one(s, c, *what[c], counts[what[c]], args), args
        )
    else:
        results, errors = {c: {} for c in configs}, ["- no server could be calibrated against: nothing run"]
    load_after = os.getloadavg()

    tables = [(depth_label(d), make_table(servers, d, results, counts)) for d in depths]
    targets = target_lines(configs, results)
    notes = [f"- {s}: not run ({why})" for s, why in failed.items()] + errors
    for title, table in tables:
        print(f"\n{title}\n\n" + "\n".join(table))
    for part in (targets, notes):
        if part:
            print("\n" + "\n".join(part))
    plot = write_plot(
        "redis-cpu",
        figure(
            title="Redis GET/SET: server CPU time per request (lower is better)",
            note=f"one CPU each, redis-benchmark -c {args.conns}; median of {args.reps}"
            f" run{'s' if args.reps > 1 else ''}, whiskers min–max",
            series=servers,
            panels=cpu_panels(results, lambda c: (depth_label(what[c][1]), what[c][0])),
        ),
        args.write,
    )
    log(f"plot: {plot}")
    elapsed = time.perf_counter() - started
    log(f"done in {elapsed:.0f} s; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")

    if args.write:
        raw = make_raw(servers, configs, results)
        write_results(args, pin, tables, targets, notes, raw, plot, (load_before, load_after), commit)
        log(f"updated {args.file}")


def write_results(args, pin, tables, targets, notes, raw, plot, loads, commit) -> None:
    command, date = command_and_date("redis.py")
    body = f"""## Redis GET/SET: coro against redis-server

`coro` is the repository's `examples/redis/main.rs` (`CORO_WORKERS=1`); `redis-server` is the system's, with no
persistence (`--save '' --appendonly no`): both keep the data in memory and serve from one thread (redis's
background threads have nothing to do here, and their CPU time would count). The load generator is
`redis-benchmark -c {args.conns}`, one test at a time (`-t set` or `-t get`, the default 3-byte value on one
key), without pipelining and with `-P 16`; the request count (`-n`, in the tables) is the same for both
servers, sized so that redis-server takes about {args.duration} s. Each run starts a fresh server, warms it
up with a tenth of that count of SET and GET (which stores the key GET reads), then measures the server's CPU
time (utime + stime of `/proc/PID/stat`, every thread) and redis-benchmark's over the run. The figure that
compares servers is **the server's CPU time per request** (lower is better; a ratio below 1x is ahead of
redis-server); "server / client CPU" divides it by redis-benchmark's, which does the same work per request
whatever the server. req/s and latency are redis-benchmark's (informative). Every figure is the median of
{args.reps} run{"s" if args.reps > 1 else ""}, servers interleaved; a run during which other processes took over
{args.max_others * 100:g}% of a core is run again, up to {args.retries} times.

- Command: `{command}`
- Machine: {os.cpu_count()} CPUs (`nproc`: {cmd_out(["nproc"])}), {cpu_model()}, {platform.system()} {platform.machine()}; `{cmd_out(["rustc", "--version"])}`
- Reference: `{cmd_out(["redis-server", "--version"])}`; `{cmd_out(["redis-benchmark", "--version"])}`
- Date: {date}; commit {commit} (at the start of the run); {pin}
- Load average (1 min): {loads[0][0]:.1f} before, {loads[1][0]:.1f} after

![Redis GET/SET: server CPU time per request]({os.path.relpath(plot, args.file.resolve().parent)})

{report_text(tables, targets, notes)}

Every run (CPU ns per request, server / client CPU, req/s, and the share of a core that other processes took
during the run):

{chr(10).join(raw)}
"""
    write_section(args.file, "redis", body)


if __name__ == "__main__":
    main()
