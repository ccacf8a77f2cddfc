//! tokio: a multi-thread runtime with N workers (also for N = 1, so that 1 worker compares like with like),
//! with the I/O and time drivers enabled as `#[tokio::main]` does; `tokio::spawn`, `JoinHandle` awaited,
//! `tokio::task::yield_now`, `tokio::sync::oneshot`.

use coro_bench::{Idle, Runtime, prefault, rss_bytes, started, started_count, trivial};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
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
