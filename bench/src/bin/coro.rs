//! coro: `coro::Runtime::builder().workers(n).build()`, `coro::spawn` and `JoinHandle::join`,
//! `coro::yield_now`, `coro::sync::oneshot`.
//!
//! Written with plain `async` blocks and explicit `.await`s, like the peers: a `#[coro::coroutine]` body is
//! the same state machine (the macro only inserts the `.await`s), so the scheduler is what is measured.

use coro::sync::oneshot;
use coro::yield_now;
use coro_bench::{Idle, Runtime, prefault, rss_bytes, started, started_count, trivial};
use std::future::Future;
use std::time::{Duration, Instant};

struct Coro(coro::Runtime);

impl Coro {
    /// Runs `fut` as a spawned root task, so that what it spawns is spawned from a worker.
    fn root<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        self.0.block_on(async move {
            match coro::spawn(fut).join().await {
                Ok(v) => v,
                Err(_) => panic!("root task failed"),
            }
        })
    }
}

fn link(n: usize, done: oneshot::Sender<()>) {
    if n == 0 {
        let _ = done.send(());
    } else {
        drop(coro::spawn(async move { link(n - 1, done) }));
    }
}

fn joined<T>(r: Result<T, coro::JoinError>) -> T {
    match r {
        Ok(v) => v,
        Err(_) => panic!("task failed"),
    }
}

impl Runtime for Coro {
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration {
        self.root(async move {
            let mut handles = Vec::with_capacity(wave);
            let start = Instant::now();
            for _ in 0..total / wave {
                for i in 0..wave {
                    handles.push(coro::spawn(async move { trivial(i) }));
                }
                for h in handles.drain(..) {
                    joined(h.join().await);
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
                    coro::spawn(async move {
                        for _ in 0..yields {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for h in handles {
                joined(h.join().await);
            }
            start.elapsed()
        })
    }

    fn chain(&self, depth: usize) -> Duration {
        self.root(async move {
            let (tx, rx) = oneshot::channel();
            let start = Instant::now();
            link(depth, tx);
            let _ = rx.recv().await;
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
                handles.push(coro::spawn(async move {
                    started();
                    let _ = rx.recv().await;
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
                joined(h.join().await);
            }
            Idle { rss_before, rss_parked }
        })
    }
}

fn main() {
    coro_bench::main("coro", |workers| {
        let rt = coro::Runtime::builder().workers(workers).build().expect("coro runtime");
        Coro(rt)
    });
}
