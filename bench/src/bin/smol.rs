//! smol: one `smol::Executor` (async-executor) run by N threads, each calling `executor.run(..)` until
//! shutdown, the usual way to get a multi-threaded smol executor; `Executor::spawn`, `Task` awaited (or
//! detached), `smol::future::yield_now`, and `async_oneshot` as the oneshot. The calling thread only waits
//! for the root task (`smol::block_on`), as `Runtime::block_on` does in tokio.
//!
//! Not `smol::channel::bounded(1)` (async-channel) as the oneshot: it costs about 850 bytes more per parked
//! task (1,057 B/task in all, against 209 with `async_oneshot` or `futures::channel::oneshot`), which would
//! measure the channel rather than the executor.

use async_oneshot::{Sender, oneshot};
use coro_bench::{Idle, Runtime, prefault, rss_bytes, started, started_count, trivial};
use smol::channel::bounded;
use smol::future::yield_now;
use smol::{Executor, block_on};
use std::future::Future;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static EX: Executor<'static> = Executor::new();

struct Smol {
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Smol {
    fn new(workers: usize) -> Smol {
        let (stop, stopped) = bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("smol-{i}"))
                    .spawn(move || block_on(EX.run(stopped.recv())).unwrap_or(()))
                    .expect("spawn an executor thread")
            })
            .collect();
        Smol { stop: Some(stop), threads }
    }

    /// Runs `fut` as a spawned root task and waits for it on this thread.
    fn root<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        block_on(EX.spawn(fut))
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        drop(self.stop.take()); // closing the channel ends every `run`
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
    }
}

fn link(n: usize, mut done: Sender<()>) {
    if n == 0 {
        let _ = done.send(());
    } else {
        EX.spawn(async move { link(n - 1, done) }).detach();
    }
}

impl Runtime for Smol {
    fn spawn_waves(&self, total: usize, wave: usize) -> Duration {
        self.root(async move {
            let mut tasks = Vec::with_capacity(wave);
            let start = Instant::now();
            for _ in 0..total / wave {
                for i in 0..wave {
                    tasks.push(EX.spawn(async move { trivial(i) }));
                }
                for t in tasks.drain(..) {
                    t.await;
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
                    EX.spawn(async move {
                        for _ in 0..yields {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for t in handles {
                t.await;
            }
            start.elapsed()
        })
    }

    fn chain(&self, depth: usize) -> Duration {
        self.root(async move {
            let (tx, rx) = oneshot();
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
                let (tx, rx) = oneshot::<()>();
                senders.push(tx);
                handles.push(EX.spawn(async move {
                    started();
                    let _ = rx.await;
                }));
            }
            while started_count() < tasks {
                yield_now().await;
            }
            let rss_parked = rss_bytes();
            for mut tx in senders {
                let _ = tx.send(());
            }
            for t in handles {
                t.await;
            }
            Idle { rss_before, rss_parked }
        })
    }
}

fn main() {
    coro_bench::main("smol", Smol::new);
}
