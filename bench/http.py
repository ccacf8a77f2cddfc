#!/usr/bin/env python3
"""HTTP plaintext benchmark: coro's HTTP example against may_minihttp and tokio+hyper, driven by wrk.

The servers, each on one worker and answering `GET /plaintext` with `Hello, World!` (text/plain, as
TechEmpower's plaintext test asks):

- `coro`: the repository's example, `examples/http/main.rs`, built with `cargo build --release --example http`
  in the repository root and run as `target/release/examples/http 127.0.0.1:PORT` with `CORO_WORKERS=1`;
- `may_minihttp`: `bench/src/bin/http_may_minihttp.rs` (`may::config().set_workers(1)`);
- `hyper`: `bench/src/bin/http_hyper.rs`, hyper 1.x on a tokio current-thread runtime (keep-alive,
  `pipeline_flush(true)`);
- `hyper_coro` (not run by default): `bench/src/bin/http_hyper_coro.rs`, the same hyper service and
  configuration on coro (`coro::hyper`, feature `hyper`), built with the bench crate's `coro` feature.
  `--servers hyper,hyper_coro` compares the two runtimes under hyper, pairing the runs of each repetition;
  with --write it updates the `http-hyper` section of BENCHMARKS.md instead of the `http` one.

This driver

1. builds them (the peers in bench/target, coro in target/), reporting a server that does not build;
2. for each repetition, each pipelining depth (--depths, default 1 and 16) and each server: starts the server
   pinned to one CPU (`taskset`), on a free loopback port, waits until it accepts, runs `wrk -t1 -c CONNS`
   pinned to the other CPU for --warmup seconds (not measured), then for --duration seconds, measured: the
   server's CPU time (`/proc/PID/stat` utime + stime) and wrk's around that run. With depth > 1, bench/wrk.lua
   makes wrk write DEPTH requests at a time (wrk counts every response). A run waits for the machine to be
   idle, and is run again if other processes took CPU time meanwhile (see bench/serverbench.py);
3. prints per depth the medians over the repetitions: **the server's CPU time per request** (wrk saturates
   its core first, so this is what compares servers), server / client CPU, requests/s, p99 latency (as wrk
   gives it: per batch when pipelining), bytes per response, and the ratios to may_minihttp; with --write
   replaces the `http` section of BENCHMARKS.md and writes the plot bench/plots/http-cpu.svg.

    python3 bench/http.py                      # build, run, print (about 3 minutes once built, on a quiet machine)
    python3 bench/http.py --write              # and update BENCHMARKS.md and the plot
    python3 bench/http.py --quick              # 1 run of 1 s each: a smoke test (no --write)
    python3 bench/http.py --servers may_minihttp,hyper --depths 16 --reps 3
    python3 bench/http.py --coro-bin path/to/server   # a coro server built elsewhere
    python3 bench/http.py --servers hyper,hyper_coro --reps 10 [--write]   # hyper on coro against tokio

Standard library only (Python 3.11+); needs cargo, wrk, and taskset with two CPUs for pinning. This file's
name shadows the standard library's `http` package for the modules it imports from bench/: they must not
import it (nor urllib, xml.sax, which do).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

from benchmarks_md import cmd_out, cpu_model, git_commit, lock_versions, write_section
from echo import paired_ratio, paired_target_text, pick_cpus, raise_nofile
from serverbench import (
    BENCH,
    BENCH_TARGET,
    REPO,
    REPO_TARGET,
    Server,
    add_common_args,
    build_bench_bins,
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

TAG = "http"
BUILD_LOG = BENCH_TARGET / "http-build.log"
WRK_SCRIPT = BENCH / "wrk.lua"
# name: binary (relative to the repository), or None for coro's example.
SERVERS: dict[str, str | None] = {
    "coro": None,
    "may_minihttp": "bench/target/release/http_may_minihttp",
    "hyper": "bench/target/release/http_hyper",
    "hyper_coro": "bench/target/release/http_hyper_coro",
}
DEFAULT_SERVERS = ("coro", "may_minihttp", "hyper")
# Built with the bench crate's `coro` feature.
CORO_BINS = ("hyper_coro",)
# hyper on coro against hyper on tokio: coro's CPU per request at most this times tokio's, at every depth.
HYPER_TARGET_CPU = 1.0
CORO_EXAMPLE = "http"
REFERENCE = "may_minihttp"
PEER_CRATES = ("may_minihttp", "may", "hyper", "hyper-util", "tokio")
# The issue's target: coro's CPU per request at most this times may_minihttp's, at every depth.
TARGET_CPU = 0.91


def log(msg: str) -> None:
    log_as(TAG, msg)


def depth_label(depth: int) -> str:
    return "no pipelining" if depth == 1 else f"pipeline {depth}"


def build(servers: list[str], args) -> dict[str, str]:
    """Builds what is asked; returns {server: why it cannot run}."""
    BUILD_LOG.unlink(missing_ok=True)
    failed = {}
    peers = [s for s in servers if SERVERS[s] and s not in CORO_BINS]
    if peers:
        log("cargo build --release (bench): " + ", ".join(peers))
        if why := build_bench_bins([os.path.basename(SERVERS[s]) for s in peers], BUILD_LOG):
            failed.update({s: why for s in peers})
    on_coro = [s for s in servers if s in CORO_BINS]
    if on_coro:
        log("cargo build --release --features coro (bench): " + ", ".join(on_coro))
        bins = [os.path.basename(SERVERS[s]) for s in on_coro]
        if why := build_bench_bins(bins, BUILD_LOG, features=["coro"]):
            failed.update({s: why for s in on_coro})
    if "coro" in servers and not args.coro_bin:
        log(f"cargo build --release --example {CORO_EXAMPLE}")
        if why := build_coro_example(CORO_EXAMPLE, BUILD_LOG):
            failed["coro"] = why
    for s, why in failed.items():
        log(f"{s}: {why} (full output in {BUILD_LOG.relative_to(REPO)})")
    return failed


def server_argv(name: str, args) -> list[str]:
    if name == "coro":
        return [str(args.coro_bin or REPO_TARGET / "release" / "examples" / CORO_EXAMPLE)]
    return [str(REPO / SERVERS[name])]


def wrk_argv(port: int, depth: int, seconds: int, args) -> list[str]:
    return [
        "wrk", "-t1", f"-c{args.conns}", f"-d{seconds}s", "-s", str(WRK_SCRIPT),
        f"http://127.0.0.1:{port}/plaintext", "--", str(depth),
    ]  # fmt: skip


def run_one(name: str, depth: int, args) -> tuple[dict | None, str | None]:
    """One server at one depth: wrk's figures and the derived ones, or why the run failed."""
    port = free_port()
    env = dict(os.environ, CORO_WORKERS="1")
    server = Server([*server_argv(name, args), f"127.0.0.1:{port}"], port, args.server_cpu, env,
                    BENCH_TARGET / "logs" / f"http-{name}.log")  # fmt: skip
    try:
        server.wait_accepting(timeout=10)
        if args.warmup:
            subprocess.run(
                [*taskset(args.client_cpu), *wrk_argv(port, depth, args.warmup, args)],
                capture_output=True, timeout=args.warmup + 30, check=False,
            )  # fmt: skip
        m = measure(server, wrk_argv(port, depth, args.duration, args), args.client_cpu, args.duration + 30)
        out = next((json.loads(l) for l in m.stdout.splitlines() if l.startswith("{")), None)
        if m.returncode != 0 or out is None:
            tail = [l for l in m.stderr.splitlines() if l.strip()]
            return None, f"wrk failed (exit {m.returncode}): {tail[-1] if tail else '?'}"
        requests = out["requests"]
        if requests == 0:
            return None, "no request completed"
        if out["errors"]["status"]:
            return None, f"{out['errors']['status']} responses with a status other than 2xx or 3xx"
        row = {
            "rps": requests / (out["duration_us"] / 1e6),
            "p50_us": out["latency_us"]["p50"],
            "p99_us": out["latency_us"]["p99"],
            "bytes_per_resp": out["bytes"] / requests,
            "socket_errors": sum(out["errors"].values()),
        }
        err = None
        if row["socket_errors"]:
            err = "wrk counted socket errors: " + ", ".join(f"{k} {v}" for k, v in out["errors"].items() if v)
        return derive(row, m, requests), err
    except RuntimeError as e:
        return None, str(e)
    finally:
        server.stop()


# --- report --------------------------------------------------------------------------------------------


def make_table(servers: list[str], by_server: dict) -> list[str]:
    ref_name = REFERENCE if REFERENCE in by_server else "hyper"  # `--servers hyper,hyper_coro`: tokio's
    ref = by_server.get(ref_name)
    head = [
        "server", "CPU ns/req (min–max)", f"CPU / {ref_name}", "server / client CPU", f"that / {ref_name}",
        "req/s", "p99 µs", "p50 µs", "bytes/resp", "server CPU", "client CPU",
    ]  # fmt: skip
    rows = []
    for s in servers:
        x = by_server.get(s)
        if x is None:
            rows.append([s] + ["—"] * (len(head) - 1))
            continue
        med = x.median
        rows.append([
            s,
            with_spread(x, "cpu_ns_per_req", 0),
            ratio(med("cpu_ns_per_req"), ref and ref.median("cpu_ns_per_req")),
            num(med("cpu_vs_client"), 3),
            ratio(med("cpu_vs_client"), ref and ref.median("cpu_vs_client")),
            num(med("rps")),
            num(med("p99_us")),
            num(med("p50_us")),
            num(med("bytes_per_resp")),
            f"{med('server_util') * 100:.0f}%",
            f"{med('client_util') * 100:.0f}%",
        ])  # fmt: skip
    return markdown_table(head, rows)


def target_lines(depths: list[int], results: dict) -> list[str]:
    lines = []
    for d in depths:
        by_server = results.get(depth_label(d), {})
        coro, ref, hyper = (by_server.get(s) for s in ("coro", REFERENCE, "hyper"))
        if not coro or not ref:
            continue
        r = coro.median("cpu_ns_per_req") / ref.median("cpu_ns_per_req")
        verdict = "met" if r <= TARGET_CPU else "missed"
        parts = [f"CPU/request {r:.2f}x {REFERENCE} (target ≤ {TARGET_CPU:.2f}x: {verdict})"]
        norm = ratio(coro.median("cpu_vs_client"), ref.median("cpu_vs_client"))
        parts.append(f"server / client CPU {norm} {REFERENCE}'s")
        if hyper:
            parts.append(f"{coro.median('cpu_ns_per_req') / hyper.median('cpu_ns_per_req'):.2f}x hyper")
        lines.append(f"- {depth_label(d)}, coro: " + "; ".join(parts))
    return lines + hyper_target_lines(depths, results)


def hyper_target_lines(depths: list[int], results: dict) -> list[str]:
    """hyper on coro against hyper on tokio, from the runs paired by repetition."""
    lines = []
    for d in depths:
        by_server = results.get(depth_label(d), {})
        ours, theirs = by_server.get("hyper_coro"), by_server.get("hyper")
        if not ours or not theirs:
            continue
        parts = []
        paired = paired_ratio(ours.rows, theirs.rows, "cpu_ns_per_req")
        if paired:
            parts.append(paired_target_text(paired, "hyper on tokio", HYPER_TARGET_CPU, digits=1))
        else:
            r = ours.median("cpu_ns_per_req") / theirs.median("cpu_ns_per_req")
            parts.append(f"CPU/request {r:.3f}x hyper on tokio (medians; too few paired runs for an interval)")
        normalized = paired_ratio(ours.rows, theirs.rows, "cpu_vs_client")
        if normalized:
            parts.append(f"server / client CPU {normalized[0]:.3f}x ({normalized[1]:.3f}–{normalized[2]:.3f}x)")
        lines.append(f"- {depth_label(d)}, hyper_coro: " + "; ".join(parts))
    return lines


def make_raw(servers: list[str], depths: list[int], results: dict) -> list[str]:
    raw = []
    for d in depths:
        for s in servers:
            x = results.get(depth_label(d), {}).get(s)
            if x:
                raw.append(
                    f"- {depth_label(d)}, {s}: CPU ns/req {x.listed('cpu_ns_per_req', ',.0f')};"
                    f" server / client CPU {x.listed('cpu_vs_client', '.3f')}; req/s {x.listed('rps', ',.0f')};"
                    f" p99 µs {x.listed('p99_us', ',.0f')}; other processes {x.listed('others_util', '.0%')} of a core"
                )
    return raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(ap)
    ap.add_argument(
        "--servers", default=",".join(DEFAULT_SERVERS),
        help=f"comma-separated, of {','.join(SERVERS)} (default: {','.join(DEFAULT_SERVERS)})",
    )  # fmt: skip
    ap.add_argument("--depths", default="1,16", help="pipelining depths, comma-separated (default: 1,16)")
    ap.add_argument("--conns", type=int, default=256, help="wrk's connections (256)")
    ap.add_argument("--warmup", type=int, default=1, help="seconds of load before each measured run (1)")
    args = ap.parse_args()
    check_common_args(ap, args)
    if args.quick:
        args.warmup = min(args.warmup, 1)
    servers = [s for s in args.servers.split(",") if s]
    if unknown := [s for s in servers if s not in SERVERS]:
        ap.error(f"unknown server(s): {', '.join(unknown)}; known: {', '.join(SERVERS)}")
    try:
        depths = [int(d) for d in args.depths.split(",") if d]
        assert depths and all(d >= 1 for d in depths)
    except (ValueError, AssertionError):
        ap.error("--depths takes positive integers, e.g. 1,16")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not on PATH (Debian: apt-get install wrk)")

    started = time.perf_counter()
    commit = git_commit()
    raise_nofile(args.conns)
    pin = pick_cpus(args)
    failed = build(servers, args) if args.build else {}
    for s in servers:
        binary = server_argv(s, args)[0]
        if s not in failed and not os.path.exists(binary):
            failed[s] = f"no binary at {binary}"
    runnable = [s for s in servers if s not in failed]
    log(pin)

    load_before = os.getloadavg()
    depth_of = {depth_label(d): d for d in depths}
    results, errors = run_all(TAG, list(depth_of), runnable, lambda s, c: run_one(s, depth_of[c], args), args)
    load_after = os.getloadavg()

    tables = [(depth_label(d), make_table(servers, results[depth_label(d)])) for d in depths]
    targets = target_lines(depths, results)
    notes = [f"- {s}: not run ({why})" for s, why in failed.items()] + errors
    for title, table in tables:
        print(f"\n{title}\n\n" + "\n".join(table))
    for part in (targets, notes):
        if part:
            print("\n" + "\n".join(part))
    # `--servers hyper,hyper_coro` (no coro example): the runtimes under hyper, a section and a plot of their own.
    hyper_only = "coro" not in servers and "hyper_coro" in servers
    plot = write_plot(
        "http-hyper-cpu" if hyper_only else "http-cpu",
        figure(
            title="HTTP plaintext: server CPU time per request (lower is better)",
            note=f"one worker each, wrk -t1 -c{args.conns}; median of {args.reps}"
            f" run{'s' if args.reps > 1 else ''}, whiskers min–max",
            series=servers,
            panels=cpu_panels(results, lambda c: (c, "GET /plaintext")),
        ),
        args.write,
    )
    log(f"plot: {plot}")
    elapsed = time.perf_counter() - started
    log(f"done in {elapsed:.0f} s; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")

    if args.write:
        raw = make_raw(servers, depths, results)
        write = write_hyper_results if hyper_only else write_results
        write(args, pin, tables, targets, notes, raw, plot, (load_before, load_after), commit)
        log(f"updated {args.file}")


def write_results(args, pin, tables, targets, notes, raw, plot, loads, commit) -> None:
    command, date = command_and_date("http.py")
    body = f"""## HTTP plaintext: coro against may_minihttp and tokio+hyper

Each server answers `GET /plaintext` with `Hello, World!` as `text/plain` (status line, `Server`, `Date`,
`Content-Length`, `Content-Type`: TechEmpower's plaintext test), on one worker: `coro` is the repository's
`examples/http/main.rs` (`CORO_WORKERS=1`), `may_minihttp` is may_minihttp's TechEmpower entry with
`may::config().set_workers(1)` (`bench/src/bin/http_may_minihttp.rs`), `hyper` is hyper 1.x's `http1` server
(keep-alive, `pipeline_flush(true)`) on a tokio current-thread runtime (`bench/src/bin/http_hyper.rs`). The load
generator is `wrk -t1 -c{args.conns}`; with pipelining (depth N > 1), `bench/wrk.lua` makes it write N
requests at a time and wait for their N responses. Each run starts a fresh server, loads it for {args.warmup} s, then measures
{args.duration} s: the requests wrk completed, and the server's CPU time (utime + stime of `/proc/PID/stat`,
every thread) and wrk's over that run. wrk saturates its core before the servers do, so requests/s measures
the pair: **the server's CPU time per request** is the figure that compares servers (lower is better; a
ratio below 1x is ahead of {REFERENCE}). "server / client CPU" divides the server's CPU time by wrk's, which
does the same work per request whatever the server: it moves less than CPU/request when the host slows both
down. Latency is informative: wrk's distribution (its percentiles, computed by `bench/wrk.lua` over the
whole histogram), which includes the samples wrk's coordinated-omission correction adds; with pipelining it
times a batch, and its correction takes the interval between responses for the interval between batches, so
it weighs the slow batches many times over. Every figure is the median of {args.reps} run{"s" if args.reps > 1 else ""},
servers interleaved; a run during which other processes took over {args.max_others * 100:g}% of a core is run
again, up to {args.retries} times.

- Command: `{command}`
- Machine: {os.cpu_count()} CPUs (`nproc`: {cmd_out(["nproc"])}), {cpu_model()}, {platform.system()} {platform.machine()}; `{cmd_out(["rustc", "--version"])}`; {cmd_out(["sh", "-c", "wrk -v 2>&1 | head -1"]).split(" Copyright")[0]}
- Peers: {lock_versions(BENCH / "Cargo.lock", PEER_CRATES)}
- Date: {date}; commit {commit} (at the start of the run); {pin}
- Load average (1 min): {loads[0][0]:.1f} before, {loads[1][0]:.1f} after

![HTTP plaintext: server CPU time per request]({os.path.relpath(plot, args.file.resolve().parent)})

{report_text(tables, targets, notes)}

Every run (CPU ns per request, server / client CPU, req/s, p99, and the share of a core that other processes
took during the run):

{chr(10).join(raw)}
"""
    write_section(args.file, "http", body)


def write_hyper_results(args, pin, tables, targets, notes, raw, plot, loads, commit) -> None:
    command, date = command_and_date("http.py")
    body = f"""## HTTP plaintext under hyper: coro against tokio

The same hyper 1.x server (`bench/src/hyper_plaintext.rs`: `GET /plaintext`, HTTP/1 keep-alive,
`pipeline_flush(true)`) on two runtimes, one worker each: `hyper` on a tokio current-thread runtime with
hyper-util's `TokioIo` (`bench/src/bin/http_hyper.rs`), `hyper_coro` on coro with `coro::hyper::Io`
(`bench/src/bin/http_hyper_coro.rs`, `CORO_WORKERS=1`). Load, measurement and figures as in the `http`
section above (`wrk -t1 -c{args.conns}`, {args.warmup} s of warm-up, {args.duration} s measured, the server's CPU
time per request is the figure that compares). The two servers of a repetition run back to back, so they
share the machine's state: the target lines give the geometric mean of the per-repetition ratios with a 95%
bootstrap interval, which is what to read on a loaded machine; the medians of the tables drift with the load.

- Command: `{command}`
- Machine: {os.cpu_count()} CPUs (`nproc`: {cmd_out(["nproc"])}), {cpu_model()}, {platform.system()} {platform.machine()}; `{cmd_out(["rustc", "--version"])}`; {cmd_out(["sh", "-c", "wrk -v 2>&1 | head -1"]).split(" Copyright")[0]}
- Peers: {lock_versions(BENCH / "Cargo.lock", PEER_CRATES)}
- Date: {date}; commit {commit} (at the start of the run); {pin}
- Load average (1 min): {loads[0][0]:.1f} before, {loads[1][0]:.1f} after

![HTTP plaintext under hyper: server CPU time per request]({os.path.relpath(plot, args.file.resolve().parent)})

{report_text(tables, targets, notes)}

Every run:

{chr(10).join(raw)}
"""
    write_section(args.file, "http-hyper", body)


if __name__ == "__main__":
    main()
