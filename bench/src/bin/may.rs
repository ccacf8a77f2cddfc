//! may: stackful coroutines, `may::config().set_workers(n)` (workers pinned to cores, may's default), the
//! default 32 KiB stacks, `go!` and a blocking `JoinHandle::join`, `may::coroutine::yield_now`, and
//! `may::sync::mpsc` as the oneshot (may has no oneshot type).

use coro_bench::{Idle, Runtime, prefault, rss_bytes, started, started_count, trivial};
use may::coroutine::yield_now;
use may::go;
use may::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

struct May;

impl May {
    /// Runs `f` in a root coroutine and waits for it on this thread.
    fn root<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        go!(f).join().expect("root coroutine")
    }
}

fn link(n: usize, done: Sender<()>) {
    if n == 0 {
        let _ = done.send(());
    } else {
        go!(move || link(n - 1, done));
    }
}

impl Runtime for May {
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration {
        self.root(move || {
            let mut handles = Vec::with_capacity(wave);
            let start = Instant::now();
            for _ in 0..total / wave {
                for i in 0..wave {
                    handles.push(go!(move || trivial(i)));
                }
                for h in handles.drain(..) {
                    h.join().unwrap();
                }
            }
            start.elapsed()
        })
    }

    fn yield_loop(&self, tasks: usize, yields: usize) -> Duration {
        self.root(move || {
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    go!(move || {
                        for _ in 0..yields {
                            yield_now();
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            start.elapsed()
        })
    }

    fn chain(&self, depth: usize) -> Duration {
        self.root(move || {
            let (tx, rx) = channel();
            let start = Instant::now();
            link(depth, tx);
            rx.recv().unwrap();
            start.elapsed()
        })
    }

    fn idle(&self, tasks: usize) -> Idle {
        self.root(move || {
            let mut senders = Vec::with_capacity(tasks);
            let mut handles = Vec::with_capacity(tasks);
            prefault(&mut senders);
            prefault(&mut handles);
            let rss_before = rss_bytes();
            for _ in 0..tasks {
                let (tx, rx) = channel::<()>();
                senders.push(tx);
                handles.push(go!(move || {
                    started();
                    let _ = rx.recv();
                }));
            }
            // Not `yield_now`: may puts a yielding coroutine back on its worker's local queue, and spawned
            // ones on the global queues, which a worker only drains once its local queue is empty; with one
            // worker a yield loop here would never let them start.
            while started_count() < tasks {
                may::coroutine::sleep(Duration::from_millis(1));
            }
            let rss_parked = rss_bytes();
            for tx in senders {
                let _ = tx.send(());
            }
            for h in handles {
                h.join().unwrap();
            }
            Idle { rss_before, rss_parked }
        })
    }

    /// Each coroutine stack is an mmap with a guard page: two mappings, and the kernel allows
    /// `vm.max_map_count` (65530 by default) in all. Leave room for the rest of the process.
    fn max_idle_tasks(&self) -> usize {
        let max_maps: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(65530);
        max_maps.saturating_sub(5_000) / 2 / 10_000 * 10_000
    }
}

fn main() {
    coro_bench::main("may", |workers| {
        may::config().set_workers(workers);
        May
    });
}
