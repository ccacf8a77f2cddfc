//! may: stackful coroutines, `may::config().set_workers(n)` (workers pinned to cores, may's default), the
//! default 32 KiB stacks, `go!` and a blocking `JoinHandle::join`, `may::coroutine::yield_now`, and
//! `may::sync::mpsc` as the oneshot (may has no oneshot type).
//!
//! Sync suite: may's channels are unbounded (it has no bounded channel), so `pingpong` uses
//! `may::sync::mpsc::channel` where the others use bounded(1) (with one value in flight each way, the bound
//! never matters there), and `mpmc` uses `may::sync::mpmc::channel`, where producers never wait for room;
//! `may::sync::Mutex` for `mutex`. All of them block the coroutine, not the thread.

use coro_bench::{
    Idle, Runtime, SyncRuntime, prefault, rss_bytes, started, started_count, trivial, yields_in_section,
};
use may::coroutine::yield_now;
use may::go;
use may::sync::mpsc::{Sender, channel};
use may::sync::{Mutex, mpmc};
use std::sync::Arc;
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

impl SyncRuntime for May {
    fn pingpong(&self, round_trips: usize) -> Duration {
        self.root(move || {
            let (ping, pinged) = channel();
            let (pong, ponged) = channel();
            let start = Instant::now();
            let echo = go!(move || {
                while let Ok(v) = pinged.recv() {
                    pong.send(v).unwrap();
                }
            });
            for i in 0..round_trips {
                ping.send(i).unwrap();
                assert_eq!(ponged.recv(), Ok(i));
            }
            drop(ping);
            echo.join().unwrap();
            start.elapsed()
        })
    }

    fn mpmc(&self, producers: usize, consumers: usize, _capacity: usize, messages: usize) -> Duration {
        self.root(move || {
            let each = messages / producers;
            let total = each * producers;
            let (tx, rx) = mpmc::channel();
            let start = Instant::now();
            let consumers: Vec<_> = (0..consumers)
                .map(|_| {
                    let rx = rx.clone();
                    go!(move || {
                        let mut received = 0;
                        while rx.recv().is_ok() {
                            received += 1;
                        }
                        received
                    })
                })
                .collect();
            let producers: Vec<_> = (0..producers)
                .map(|_| {
                    let tx = tx.clone();
                    go!(move || {
                        for i in 0..each {
                            tx.send(i).unwrap();
                        }
                    })
                })
                .collect();
            drop((tx, rx));
            for p in producers {
                p.join().unwrap();
            }
            let mut received = 0;
            for c in consumers {
                received += c.join().unwrap();
            }
            assert_eq!(received, total);
            start.elapsed()
        })
    }

    fn mutex(&self, tasks: usize, iters: usize, yield_every: usize) -> Duration {
        self.root(move || {
            let counter = Arc::new(Mutex::new(0));
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let counter = counter.clone();
                    go!(move || {
                        for i in 0..iters {
                            let mut n = counter.lock().unwrap();
                            *n += 1;
                            if yields_in_section(i, yield_every) {
                                yield_now();
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            assert_eq!(*counter.lock().unwrap(), tasks * iters);
            start.elapsed()
        })
    }
}

fn main() {
    coro_bench::main("may", |workers| {
        may::config().set_workers(workers);
        May
    });
}
