//! tokio: a multi-thread runtime with N workers (also for N = 1, so that 1 worker compares like with like),
//! with the I/O and time drivers enabled as `#[tokio::main]` does; `tokio::spawn`, `JoinHandle` awaited,
//! `tokio::task::yield_now`, `tokio::sync::oneshot`.
//!
//! Sync suite: `tokio::sync::mpsc::channel` and `tokio::sync::Mutex`. tokio has no multi-consumer channel;
//! for `mpmc` the consumers share the one `mpsc::Receiver` behind a `tokio::sync::Mutex` (each takes the lock
//! for one `recv`), the usual way to get a work queue out of tokio's own primitives.

use coro_bench::{
    Idle, Runtime, SyncRuntime, prefault, rss_bytes, started, started_count, trivial, yields_in_section,
};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::yield_now;

struct Tokio(tokio::runtime::Runtime);

impl Tokio {
    /// Runs `fut` as a spawned root task, so that what it spawns is spawned from a worker.
    fn root<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        self.0.block_on(self.0.spawn(fut)).expect("root task")
    }
}

fn link(n: usize, done: oneshot::Sender<()>) {
    if n == 0 {
        let _ = done.send(());
    } else {
        tokio::spawn(async move { link(n - 1, done) });
    }
}

impl Runtime for Tokio {
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration {
        self.root(async move {
            let mut handles = Vec::with_capacity(wave);
            let start = Instant::now();
            for _ in 0..total / wave {
                for i in 0..wave {
                    handles.push(tokio::spawn(async move { trivial(i) }));
                }
                for h in handles.drain(..) {
                    h.await.unwrap();
                }
            }
            start.elapsed()
        })
    }

    fn yield_loop(&self, tasks: usize, yields: usize) -> Duration {
        self.root(async move {
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    tokio::spawn(async move {
                        for _ in 0..yields {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
            start.elapsed()
        })
    }

    fn chain(&self, depth: usize) -> Duration {
        self.root(async move {
            let (tx, rx) = oneshot::channel();
            let start = Instant::now();
            link(depth, tx);
            rx.await.unwrap();
            start.elapsed()
        })
    }

    fn idle(&self, tasks: usize) -> Idle {
        self.root(async move {
            let mut senders = Vec::with_capacity(tasks);
            let mut handles = Vec::with_capacity(tasks);
            prefault(&mut senders);
            prefault(&mut handles);
            let rss_before = rss_bytes();
            for _ in 0..tasks {
                let (tx, rx) = oneshot::channel::<()>();
                senders.push(tx);
                handles.push(tokio::spawn(async move {
                    started();
                    let _ = rx.await;
                }));
            }
            while started_count() < tasks {
                yield_now().await;
            }
            let rss_parked = rss_bytes();
            for tx in senders {
                let _ = tx.send(());
            }
            for h in handles {
                h.await.unwrap();
            }
            Idle { rss_before, rss_parked }
        })
    }
}

impl SyncRuntime for Tokio {
    fn pingpong(&self, round_trips: usize) -> Duration {
        self.root(async move {
            let (ping, mut pinged) = mpsc::channel(1);
            let (pong, mut ponged) = mpsc::channel(1);
            let start = Instant::now();
            let echo = tokio::spawn(async move {
                while let Some(v) = pinged.recv().await {
                    pong.send(v).await.unwrap();
                }
            });
            for i in 0..round_trips {
                ping.send(i).await.unwrap();
                assert_eq!(ponged.recv().await, Some(i));
            }
            drop(ping);
            echo.await.unwrap();
            start.elapsed()
        })
    }

    fn mpmc(&self, producers: usize, consumers: usize, capacity: usize, messages: usize) -> Duration {
        self.root(async move {
            let each = messages / producers;
            let total = each * producers;
            let (tx, rx) = mpsc::channel(capacity);
            let rx = Arc::new(Mutex::new(rx));
            let start = Instant::now();
            let consumers: Vec<_> = (0..consumers)
                .map(|_| {
                    let rx = rx.clone();
                    tokio::spawn(async move {
                        let mut received = 0;
                        while rx.lock().await.recv().await.is_some() {
                            received += 1;
                        }
                        received
                    })
                })
                .collect();
            let producers: Vec<_> = (0..producers)
                .map(|_| {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for i in 0..each {
                            tx.send(i).await.unwrap();
                        }
                    })
                })
                .collect();
            drop((tx, rx));
            for p in producers {
                p.await.unwrap();
            }
            let mut received = 0;
            for c in consumers {
                received += c.await.unwrap();
            }
            assert_eq!(received, total);
            start.elapsed()
        })
    }

    fn mutex(&self, tasks: usize, iters: usize, yield_every: usize) -> Duration {
        self.root(async move {
            let counter = Arc::new(Mutex::new(0));
            let start = Instant::now();
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let counter = counter.clone();
                    tokio::spawn(async move {
                        for i in 0..iters {
                            let mut n = counter.lock().await;
                            *n += 1;
                            if yields_in_section(i, yield_every) {
                                yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(*counter.lock().await, tasks * iters);
            start.elapsed()
        })
    }
}

fn main() {
    coro_bench::main("tokio", |workers| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("tokio runtime");
        Tokio(rt)
    });
}
