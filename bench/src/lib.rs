//! What the four runtime binaries share: the list of measurements, their sizes, the repetitions, and the
//! output. A binary only says how its runtime spawns, joins, yields and parks (the [`Runtime`] trait, written
//! idiomatically for that runtime) and how its channels and mutex are used (the [`SyncRuntime`] trait);
//! [`main`] does the rest.
//!
//! Two suites share the binaries: the scheduler's (`spawn_10k`, `spawn_1k`, `yield_1`, `yield_100`, `chain`,
//! `idle`: bench/run.py) and the channels' and mutex's (`pingpong`, `mpmc`, `mutex`: bench/run.py --suite
//! sync). Without `--bench` a binary runs the scheduler's timed measurements.
//!
//! Every measurement runs inside a root task spawned on the runtime (so the tasks it spawns are spawned from
//! a worker, as in a server's accept loop) and is timed there, around the work only: building the runtime,
//! starting its threads and spawning the root are outside the timed region.
//!
//! Output: one JSON line per measurement on stdout, with every sample and their median, e.g.
//! `{"runtime":"tokio","workers":1,"bench":"spawn_10k","unit":"ns/task","ops":1000000,"nominal_ops":1000000,
//! "median":380.1,"samples":[..]}` (`ops` is below `nominal_ops` when the round was scaled down: see `fit`).
//!
//! ```text
//! tokio --workers 2 [--bench spawn_10k,spawn_1k,yield_1,yield_100,chain] [--reps 5] [--budget 2] [--quick]
//! tokio --workers 2 --bench idle        # one sample: run it in a fresh process each time
//! tokio --workers 2 --bench pingpong,mpmc,mutex
//! ```

pub mod echo;
pub mod hyper_plaintext;

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// One runtime, built with a given number of workers. Each method runs one measurement to completion and
/// returns its raw result; the caller turns it into a per-operation figure.
pub trait Runtime {
    /// Spawns `total` trivial tasks in waves of `wave`, joining every task of a wave before the next wave.
    /// Returns the time from the first spawn to the last join.
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration;

    /// Spawns `tasks` tasks that each call the runtime's `yield_now` `yields` times in a loop, and joins them.
    /// Returns the time from the first spawn to the last join.
    fn yield_loop(&self, tasks: usize, yields: usize) -> Duration;

    /// Spawns a task that spawns the next one (and returns) until `depth` tasks have been spawned; the last
    /// one signals the root through the runtime's channel. Returns the time from the first spawn to the
    /// signal.
    fn chain(&self, depth: usize) -> Duration;

    /// Spawns `tasks` tasks each parked on its own oneshot receiver (each calls [`started`] first, then
    /// waits); once [`started_count`] reaches `tasks` the RSS is read again; then every sender sends and
    /// every task is joined. The vectors holding the senders and handles are allocated and [`prefault`]ed
    /// before the first reading, so they are not counted. Returns both readings.
    fn idle(&self, tasks: usize) -> Idle;

    /// At most this many tasks can be parked at once (may: two memory mappings per coroutine stack, bounded
    /// by `vm.max_map_count`).
    fn max_idle_tasks(&self) -> usize {
        usize::MAX
    }
}

/// The sync suite: the runtime's own channel and mutex (or the closest it has: the binaries say which), used
/// from tasks spawned by the root task. Each method returns the time from the first spawn to the last join,
/// and checks that every message arrived, or every increment happened, so that a lost wake-up shows as a hang
/// (which the driver's time limit reports) and a lost value as a panic, never as a good figure.
pub trait SyncRuntime: Runtime {
    /// Spawns one echo task, which receives on a bounded(1) channel and sends each value back on a second
    /// bounded(1) channel until the first is closed; the root sends `round_trips` values, each after the echo
    /// of the previous one, then closes its sender and joins the echo task.
    fn pingpong(&self, round_trips: usize) -> Duration;

    /// Spawns `consumers` tasks receiving from one channel of capacity `capacity` until it is closed, and
    /// `producers` tasks each sending `messages / producers` values into it; drops the root's own halves, joins
    /// the producers (the channel closes when the last one returns), then the consumers, and checks the number
    /// of values they received.
    fn mpmc(&self, producers: usize, consumers: usize, capacity: usize, messages: usize) -> Duration;

    /// Spawns `tasks` tasks that each lock one shared counter `iters` times and increment it; every
    /// `yield_every`-th time a task calls `yield_now` before unlocking, so that the lock is held across a
    /// suspension and the other tasks queue on it. Joins them and checks the counter.
    fn mutex(&self, tasks: usize, iters: usize, yield_every: usize) -> Duration;
}

/// Whether the `i`-th critical section (counted from 0) of a `mutex` task yields while holding the lock.
#[inline]
pub fn yields_in_section(i: usize, yield_every: usize) -> bool {
    i % yield_every == yield_every - 1
}

/// RSS before the idle tasks are spawned and once they are all parked.
#[derive(Debug, Clone, Copy)]
pub struct Idle {
    pub rss_before: u64,
    pub rss_parked: u64,
}

/// A trivial task's body, the same for every runtime.
#[inline]
pub fn trivial(i: usize) -> usize {
    black_box(i)
}

static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Called first by every idle task. A static, so that the task's future does not grow by a reference.
#[inline]
pub fn started() {
    STARTED.fetch_add(1, Ordering::Relaxed);
}

/// How many idle tasks have called [`started`] (since [`reset_started`]).
#[inline]
pub fn started_count() -> usize {
    STARTED.load(Ordering::Relaxed)
}

pub fn reset_started() {
    STARTED.store(0, Ordering::Relaxed);
}

/// Touches the whole spare capacity of `v`, so that pushing into it later grows no RSS.
pub fn prefault<T>(v: &mut Vec<T>) {
    let spare = v.spare_capacity_mut();
    // SAFETY: writes zero bytes into the vector's own uninitialised capacity (`MaybeUninit` slots); the length
    // is unchanged, so no value of `T` is ever read from them.
    unsafe { std::ptr::write_bytes(spare.as_mut_ptr(), 0, spare.len()) };
}

/// The resident set size of this process, in bytes (`VmRSS` of /proc/self/status).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS value");
    kib * 1024
}

/// A measurement: its name, its size, and how to turn its raw result into a figure.
#[derive(Debug, Clone, Copy)]
enum Bench {
    Spawn { total: usize, wave: usize },
    Yield { tasks: usize, yields: usize },
    Chain { depth: usize },
    Idle { tasks: usize },
    PingPong { round_trips: usize },
    Mpmc { producers: usize, consumers: usize, capacity: usize, messages: usize },
    Mutex { tasks: usize, iters: usize, yield_every: usize },
}

impl Bench {
    /// The same measurement with `factor` times fewer operations (never less than one wave, task or link).
    fn shrink(self, factor: usize) -> Bench {
        match self {
            Bench::Spawn { total, wave } => Bench::Spawn { total: (total / factor).max(wave), wave },
            Bench::Yield { tasks, yields } => Bench::Yield { tasks, yields: (yields / factor).max(1) },
            Bench::Chain { depth } => Bench::Chain { depth: (depth / factor).max(1) },
            Bench::Idle { tasks } => Bench::Idle { tasks: (tasks / factor).max(1) },
            Bench::PingPong { round_trips } => Bench::PingPong { round_trips: (round_trips / factor).max(1) },
            Bench::Mpmc { producers, consumers, capacity, messages } => {
                let messages = (messages / factor).max(producers) / producers * producers;
                Bench::Mpmc { producers, consumers, capacity, messages }
            }
            Bench::Mutex { tasks, iters, yield_every } => {
                Bench::Mutex { tasks, iters: (iters / factor).max(yield_every), yield_every }
            }
        }
    }

    /// Operations in one round: what the time is divided by.
    fn ops(self) -> usize {
        match self {
            Bench::Spawn { total, .. } => total,
            Bench::Yield { tasks, yields } => tasks * yields,
            Bench::Chain { depth } => depth,
            Bench::Idle { tasks } => tasks,
            Bench::PingPong { round_trips } => round_trips,
            Bench::Mpmc { messages, .. } => messages,
            Bench::Mutex { tasks, iters, .. } => tasks * iters,
        }
    }

    /// What the time of a round is divided by, as printed.
    fn unit(self) -> &'static str {
        match self {
            Bench::Spawn { .. } => "ns/task",
            Bench::Yield { .. } => "ns/yield",
            Bench::Chain { .. } => "ns/spawn",
            Bench::Idle { .. } => "B/task",
            Bench::PingPong { .. } => "ns/round trip",
            Bench::Mpmc { .. } => "ns/msg",
            Bench::Mutex { .. } => "ns/lock",
        }
    }

    /// Run when a binary is given no `--bench`: the scheduler suite's timed measurements.
    fn by_default(self) -> bool {
        matches!(self, Bench::Spawn { .. } | Bench::Yield { .. } | Bench::Chain { .. })
    }

    fn run<R: SyncRuntime>(self, rt: &R) -> Duration {
        match self {
            Bench::Spawn { total, wave } => rt.spawn_waves(total, wave),
            Bench::Yield { tasks, yields } => rt.yield_loop(tasks, yields),
            Bench::Chain { depth } => rt.chain(depth),
            Bench::Idle { .. } => unreachable!("idle is not timed"),
            Bench::PingPong { round_trips } => rt.pingpong(round_trips),
            Bench::Mpmc { producers, consumers, capacity, messages } => {
                rt.mpmc(producers, consumers, capacity, messages)
            }
            Bench::Mutex { tasks, iters, yield_every } => rt.mutex(tasks, iters, yield_every),
        }
    }
}

/// Keeps a slow runtime within the time limits: a probe round at a tenth of the size predicts the time of a
/// full round, and if that exceeds `budget` seconds the round shrinks by ten, or a hundred, to fit. The
/// figure is per operation and every wave, chain link or yield costs the same however many there are, so a
/// smaller round measures the same thing, with fewer samples behind it; `ops` in the output says how many.
fn fit<R: SyncRuntime>(rt: &R, bench: Bench, budget: f64) -> Bench {
    let probe = bench.shrink(10);
    let per_op = probe.run(rt).as_secs_f64() / probe.ops() as f64;
    let mut fitted = bench;
    for factor in [10, 100] {
        let smaller = bench.shrink(factor);
        if per_op * fitted.ops() as f64 <= budget || smaller.ops() == fitted.ops() {
            break;
        }
        fitted = smaller;
    }
    fitted
}

/// The measurements, by name, at full size. `--quick` divides every count by 10 (a smoke test).
const BENCHES: &[(&str, Bench)] = &[
    ("spawn_10k", Bench::Spawn { total: 1_000_000, wave: 10_000 }),
    ("spawn_1k", Bench::Spawn { total: 1_000_000, wave: 1_000 }),
    ("yield_1", Bench::Yield { tasks: 1, yields: 1_000_000 }),
    ("yield_100", Bench::Yield { tasks: 100, yields: 10_000 }),
    ("chain", Bench::Chain { depth: 100_000 }),
    ("idle", Bench::Idle { tasks: 100_000 }),
    ("pingpong", Bench::PingPong { round_trips: 500_000 }),
    ("mpmc", Bench::Mpmc { producers: 4, consumers: 4, capacity: 64, messages: 2_000_000 }),
    ("mutex", Bench::Mutex { tasks: 64, iters: 20_000, yield_every: 10 }),
];

/// What one run of the binary was asked to do.
struct Args {
    workers: usize,
    benches: Vec<(&'static str, Bench)>,
    reps: usize,
    warmup: usize,
    /// Seconds one timed round may take; a bigger round is scaled down (see [`fit`]).
    budget: f64,
}

fn usage() -> ! {
    let names: Vec<_> = BENCHES.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: BIN --workers N [--bench NAME,..] [--reps R] [--warmup W] [--budget SECONDS] [--quick]\n\
         benches: {} (default: the scheduler's, all but idle; idle takes one sample per process)",
        names.join(", ")
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut workers = None;
    let mut names: Option<Vec<String>> = None;
    let mut reps = 5;
    let mut warmup = 1;
    let mut scale = 1;
    let mut budget = 2.0;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--workers" => workers = value().parse().ok(),
            "--bench" => names = Some(value().split(',').map(str::to_owned).collect()),
            "--reps" => reps = value().parse().unwrap_or_else(|_| usage()),
            "--warmup" => warmup = value().parse().unwrap_or_else(|_| usage()),
            "--budget" => budget = value().parse().unwrap_or_else(|_| usage()),
            "--quick" => scale = 10,
            _ => usage(),
        }
    }
    let workers = workers.filter(|&w| w > 0).unwrap_or_else(|| usage());
    let names = names.unwrap_or_else(|| {
        BENCHES.iter().filter(|(_, b)| b.by_default()).map(|(n, _)| n.to_string()).collect()
    });
    let benches = names
        .iter()
        .map(|name| {
            let &(n, b) = BENCHES.iter().find(|(n, _)| n == name).unwrap_or_else(|| usage());
            (n, b.shrink(scale))
        })
        .collect();
    if reps == 0 {
        usage();
    }
    Args { workers, benches, reps, warmup, budget }
}

/// The median of `samples` (the mean of the two middle ones for an even count).
pub fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
}

fn ns_per(d: Duration, ops: usize) -> f64 {
    d.as_nanos() as f64 / ops as f64
}

/// Runs the measurements asked for on the command line, printing one JSON line for each.
pub fn main<R: SyncRuntime>(name: &str, build: impl FnOnce(usize) -> R) {
    let args = parse_args();
    let rt = build(args.workers);
    for &(bench_name, nominal) in &args.benches {
        let (unit, bench, extra, samples) = match nominal {
            Bench::Idle { tasks } => {
                // One sample: memory freed by a first round is reused by the next, so a second round in the
                // same process would measure nothing. The driver runs a fresh process per sample.
                let bench = Bench::Idle { tasks: tasks.min(rt.max_idle_tasks()) };
                let tasks = bench.ops();
                reset_started();
                let idle = rt.idle(tasks);
                let bytes = idle.rss_parked.saturating_sub(idle.rss_before) as f64 / tasks as f64;
                let extra = format!(r#","rss_before":{},"rss_parked":{}"#, idle.rss_before, idle.rss_parked);
                (bench.unit(), bench, extra, vec![bytes])
            }
            _ => {
                let unit = nominal.unit();
                let bench = fit(&rt, nominal, args.budget);
                for _ in 0..args.warmup {
                    bench.run(&rt);
                }
                let samples: Vec<f64> = (0..args.reps).map(|_| ns_per(bench.run(&rt), bench.ops())).collect();
                (unit, bench, String::new(), samples)
            }
        };
        let list: Vec<String> = samples.iter().map(|s| format!("{s:.2}")).collect();
        println!(
            r#"{{"runtime":"{name}","workers":{},"bench":"{bench_name}","unit":"{unit}","ops":{},"nominal_ops":{},"median":{:.2},"samples":[{}]{extra}}}"#,
            args.workers,
            bench.ops(),
            nominal.ops(),
            median(&samples),
            list.join(","),
        );
    }
}
